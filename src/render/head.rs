//! What a page says about itself beyond its own template: its `<head>` metadata (the title
//! and description for sharing, the Open Graph type and image, JSON-LD, its Atom feeds) and
//! where the same page is in another language. It builds values; it renders no template.

use serde::Serialize;

use crate::model::Site;
use crate::model::ids::Lang;
use crate::plan::{PageKind, PlannedPage};
use crate::render::context::Renderer;
use crate::render::structured;

/// An Atom feed a page links to.
#[derive(Serialize, Clone)]
pub(super) struct FeedLink {
    pub(super) title: String,
    pub(super) url: String,
    pub(super) permalink: String,
}

/// A page's metadata for `<head>` (see [`Renderer::head`]).
pub(super) struct Head {
    pub(super) title: String,
    pub(super) description: String,
    pub(super) og_type: &'static str,
    /// Absolute URL of the page's image (an entry's or release's cover).
    pub(super) image: Option<String>,
    /// JSON-LD, already escaped for a `<script>` element.
    pub(super) jsonld: Option<String>,
    pub(super) feeds: Vec<FeedLink>,
}

impl Renderer<'_> {
    /// What a page's `<head>` says about it beyond its own template: the title and
    /// description for sharing, the Open Graph type and image, JSON-LD, and its Atom feeds
    /// (the most specific first, then the site's).
    pub(super) fn head(&self, page: &PlannedPage) -> Head {
        let s = self.site();
        let u = &s.urls;
        let lang = &page.lang;
        let default = s.default_lang();
        let site_description = s.config.description_in(lang).to_string();
        let feed = |title: String, path: String| FeedLink {
            title,
            url: u.href(&path),
            permalink: u.permalink(&path),
        };
        let mut head = Head {
            title: s.config.title_in(lang).to_string(),
            description: site_description.clone(),
            og_type: "website",
            image: None,
            jsonld: None,
            feeds: Vec::new(),
        };
        let release_feed = |i: usize| {
            let r = &s.releases[i];
            let t = r.text.get(lang).unwrap_or(&r.text[default]);
            feed(t.title.clone(), u.release_feed(lang, &r.id))
        };
        match &page.kind {
            PageKind::Home => {}
            PageKind::ReleaseIndex => head.title = self.t(lang, "all_releases"),
            PageKind::Release(i) => {
                let r = &s.releases[*i];
                let t = r.text.get(lang).unwrap_or(&r.text[default]);
                head.title = t.title.clone();
                head.description = t.summary.clone().unwrap_or(site_description);
                head.image = super::pictures::release_og_image(s, r);
                head.jsonld = Some(structured::script_text(&structured::release(s, *i, lang)));
                head.feeds.push(release_feed(*i));
            }
            PageKind::Entry(i) => {
                let e = &s.entries[*i];
                let v = e.version(lang, default);
                head.title = v.title.clone();
                head.description = v.summary.clone().unwrap_or(site_description);
                head.og_type = "article";
                head.image = super::pictures::entry_og_image(s, v);
                let ld = structured::entry(s, *i, lang, head.image.clone());
                head.jsonld = Some(structured::script_text(&ld));
                head.feeds.push(release_feed(e.release_index));
            }
            PageKind::TaxonomyIndex(t) => {
                let tax = &s.taxonomies[*t];
                head.title = s.config.schema.fields[&tax.field]
                    .label
                    .get(lang.as_str(), default.as_str(), &tax.field)
                    .to_string();
            }
            PageKind::Term { taxonomy, term, .. } => {
                let tax = &s.taxonomies[*taxonomy];
                let label = s.config.schema.fields[&tax.field].label.get(
                    lang.as_str(),
                    default.as_str(),
                    &tax.field,
                );
                if let Some(t) = tax.terms.get(lang).and_then(|t| t.get(*term)) {
                    head.title = format!("{} · {label}", t.label);
                    head.feeds.push(feed(
                        head.title.clone(),
                        u.term_feed(lang, &tax.slug, &t.slug),
                    ));
                }
            }
            PageKind::Page(i) => {
                if let Some(v) = s.pages[*i].versions.get(lang) {
                    head.title = v.title.clone();
                }
            }
            PageKind::NotFound => {
                head.title = self.t(lang, "not_found");
                head.description = self.t(lang, "not_found_text");
            }
            PageKind::Stats => head.title = self.t(lang, "stats_title"),
            PageKind::ReleaseStats(i) => {
                let r = &s.releases[*i];
                let t = r.text.get(lang).unwrap_or(&r.text[default]);
                head.title = format!("{} · {}", self.t(lang, "stats_title"), t.title);
                head.feeds.push(release_feed(*i));
            }
            PageKind::Search => head.title = self.t(lang, "search"),
            PageKind::Collection { collection, .. } => {
                let c = &s.collections[*collection];
                let def = &s.config.collections[c.def];
                head.title = def.label_in(lang.as_str(), default.as_str()).to_string();
                head.feeds
                    .push(feed(head.title.clone(), u.collection_feed(lang, &c.name)));
            }
            PageKind::CollectionTaxonomy {
                collection,
                taxonomy,
            } => {
                let c = &s.collections[*collection];
                let def = &s.config.collections[c.def];
                let label = def.label_in(lang.as_str(), default.as_str());
                let tax = &c.taxonomies[*taxonomy];
                let field = def.schema.fields[&tax.field].label.get(
                    lang.as_str(),
                    default.as_str(),
                    &tax.field,
                );
                head.title = format!("{field} · {label}");
                head.feeds
                    .push(feed(label.to_string(), u.collection_feed(lang, &c.name)));
            }
            PageKind::CollectionTerm {
                collection,
                taxonomy,
                term,
                ..
            } => {
                let c = &s.collections[*collection];
                let def = &s.config.collections[c.def];
                let label = def.label_in(lang.as_str(), default.as_str());
                let tax = &c.taxonomies[*taxonomy];
                if let Some(t) = tax.terms.get(lang).and_then(|t| t.get(*term)) {
                    head.title = format!("{} · {label}", t.label);
                }
                head.feeds
                    .push(feed(label.to_string(), u.collection_feed(lang, &c.name)));
            }
            PageKind::CollectionStats(collection) => {
                let c = &s.collections[*collection];
                let def = &s.config.collections[c.def];
                let label = def.label_in(lang.as_str(), default.as_str());
                head.title = self
                    .t(lang, "collection_stats_title")
                    .replace("{collection}", label);
                head.feeds
                    .push(feed(label.to_string(), u.collection_feed(lang, &c.name)));
            }
            PageKind::Item { collection, item } => {
                let c = &s.collections[*collection];
                let v = c.items[*item].version(lang, default);
                head.title = v.title.clone();
                head.description = v.summary.clone().unwrap_or(site_description);
                head.og_type = "article";
                let def = &s.config.collections[c.def];
                let label = def.label_in(lang.as_str(), default.as_str());
                head.feeds
                    .push(feed(label.to_string(), u.collection_feed(lang, &c.name)));
            }
        }
        head.feeds
            .push(feed(s.config.title_in(lang).to_string(), u.feed(lang)));
        head
    }
}

/// How [`page_in`] maps a paginated term page to another language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The same page number, or the last page when there are fewer (for the switcher).
    Nearest,
    /// The same page number only, so the mapping is reciprocal (for `hreflang`).
    Exact,
}

/// The site path of `kind` (a page in language `from`) in `lang`, if that page exists there.
pub fn page_in(s: &Site, kind: &PageKind, from: &Lang, lang: &Lang, how: Match) -> Option<String> {
    let u = &s.urls;
    Some(match kind {
        PageKind::Home => u.home(lang),
        PageKind::ReleaseIndex => u.releases(lang),
        PageKind::Release(i) => u.release(lang, &s.releases[*i].id),
        PageKind::Entry(i) => {
            let e = &s.entries[*i];
            e.versions.get(lang)?;
            u.entry(lang, &e.release, &e.slug)
        }
        PageKind::TaxonomyIndex(t) => u.taxonomy(lang, &s.taxonomies[*t].slug),
        PageKind::Term {
            taxonomy,
            term,
            page,
            ..
        } => {
            // Terms are per language; the same slug may not exist in the other language.
            let tax = &s.taxonomies[*taxonomy];
            let slug = &tax.terms.get(from)?.get(*term)?.slug;
            let t = tax.term(lang, slug.as_str())?;
            let pages = t.entries.len().div_ceil(s.config.paginate_by).max(1);
            if how == Match::Exact && *page > pages {
                return None;
            }
            u.term(lang, &tax.slug, &t.slug, (*page).min(pages))
        }
        PageKind::Page(i) => {
            let p = &s.pages[*i];
            p.versions.get(lang)?;
            u.page(lang, &p.slug)
        }
        PageKind::NotFound => u.not_found(lang),
        PageKind::Stats => u.stats(lang),
        PageKind::ReleaseStats(i) => u.release_stats(lang, &s.releases[*i].id),
        PageKind::Search => u.search(lang),
        PageKind::Collection {
            collection, page, ..
        } => u.collection(lang, &s.collections[*collection].name, *page),
        PageKind::Item { collection, item } => {
            let c = &s.collections[*collection];
            let it = &c.items[*item];
            it.versions.get(lang)?;
            u.item(lang, &c.name, &it.slug)
        }
        PageKind::CollectionTaxonomy {
            collection,
            taxonomy,
        } => {
            let c = &s.collections[*collection];
            u.collection_taxonomy(lang, &c.name, &c.taxonomies[*taxonomy].slug)
        }
        PageKind::CollectionTerm {
            collection,
            taxonomy,
            term,
            page,
            ..
        } => {
            // As for the results' terms: the same slug, if the other language has it.
            let c = &s.collections[*collection];
            let tax = &c.taxonomies[*taxonomy];
            let slug = &tax.terms.get(from)?.get(*term)?.slug;
            let t = tax.term(lang, slug.as_str())?;
            let pages = t.entries.len().div_ceil(s.config.paginate_by).max(1);
            if how == Match::Exact && *page > pages {
                return None;
            }
            u.collection_term(lang, &c.name, &tax.slug, &t.slug, (*page).min(pages))
        }
        PageKind::CollectionStats(c) => u.collection_stats(lang, &s.collections[*c].name),
    })
}
