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
//! order, in every language; drafts and embargoed entries are never indexed, not even in a
//! `--drafts` preview.

pub mod encode;
pub mod index;
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

/// What the search index covers, decided with the rest of the plan, and the index itself,
/// built when a search file is first rendered.
#[derive(Debug, Clone, Default)]
pub struct SearchPlan {
    /// The entries indexed (public, site order): document `n` is `site.entries[docs[n]]`.
    pub docs: Vec<usize>,
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
            shards: self.shards,
            memo,
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
        self.memo.index(site, &self.docs, self.shards)
    }

    /// Build the shards now, calling `each_chunk(first document, its entries)` once each
    /// chunk of documents is tokenized, while it goes into the shards: a build writes those
    /// entries' pages and document files then and lets go of their bodies' HTML.
    pub fn build_streaming(&self, site: &Site, each_chunk: &mut dyn FnMut(usize, &[usize])) {
        self.memo
            .index_streaming(site, &self.docs, self.shards, each_chunk);
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

/// The search plan over `docs` (public entries, site order), and every file it writes with
/// its site path.
pub fn plan(site: &Site, docs: Vec<usize>) -> (SearchPlan, Vec<(String, SearchFile)>) {
    let urls = &site.urls;
    let shards = shard_count(docs.len());
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
    }
    files.push((
        urls.search_data(site.default_lang(), "search.js"),
        SearchFile::Script,
    ));
    let plan = SearchPlan {
        docs,
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
    let mut facets = Vec::new();
    for tax in site.taxonomies.iter() {
        if matches!(tax.slug.as_str(), "q" | "release") {
            continue; // would clash with the query and release parameters
        }
        let label = site.config.schema.fields[&tax.field].label.get(
            lang.as_str(),
            default.as_str(),
            &tax.field,
        );
        let mut values: Vec<(&crate::model::Term, Vec<u32>)> = tax
            .terms
            .get(lang)
            .into_iter()
            .flatten()
            .map(|term| (term, docs_of(&term.entries)))
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
    let own: Vec<u32> = sp
        .docs
        .iter()
        .enumerate()
        .filter(|(_, e)| site.entries[**e].versions.contains_key(lang))
        .map(|(n, _)| n as u32)
        .collect();
    to_json(&json!({
        "version": 1,
        "lang": lang,
        "ngram": tokenize::NGRAM,
        "docs": sp.docs.len(),
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
    r: &'a crate::model::ids::ReleaseId,
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
    let e = &site.entries[sp.docs[doc]];
    let v = e.version(lang, site.default_lang());
    let r = records::Record::of(v);
    let body: Arc<str> = match sp.memo.body(lang, doc) {
        Some(b) => b,
        None => text::html_to_text(&r.body_html).into(),
    };
    let file = DocFile {
        t: r.title,
        u: site.urls.href(&site.urls.entry(lang, &e.release, &e.slug)),
        l: lang,
        r: &e.release,
        s: v.values.get("stage").and_then(Value::as_text),
        i: r.institutions,
        k: r.keywords,
        m: r.summary,
        b: &body,
    };
    serde_json::to_vec(&file).unwrap_or_default()
}
