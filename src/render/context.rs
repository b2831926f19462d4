//! Template contexts. Everything a template sees is built here, from the model, with URLs
//! already resolved under the base path. Per-entry summaries ("cards") are built once per
//! language and shared by every list page.

use std::collections::BTreeMap;
use std::sync::Arc;

use indexmap::IndexMap;
use tera::{Context, Tera, Value as TeraValue};

use super::pictures;
use crate::diagnostics::Diagnostic;
use crate::model::ids::Lang;
use crate::model::refs::ItemRef;
use crate::model::reorder::Reorder;
use crate::model::{EntryVersion, Site};
use crate::plan::{PageKind, PlannedPage};
use crate::render::charts;
use crate::render::display::Displayer;
use crate::render::head::{Match, page_in};
use crate::render::market;
use crate::render::shared::{self, LangValues, hold_info, localized_date};
use crate::render::structured;
use crate::render::templates::{self, Strings};
use crate::render::variables::{
    Downloads, EntryContext, Link, PageContext, Paginator, SearchContext, Standalone, TermContext,
};
use crate::validate::Value;

/// What a renderer prepares before its first page: the template engine, strings, cards and
/// per-language values. `serve` keeps it between rebuilds and refreshes only the cards of
/// edited entries (see [`Prepared::with_entries`]).
#[derive(Clone)]
pub struct Prepared {
    tera: Arc<Tera>,
    strings: Arc<Strings>,
    /// cards[entry][language index]
    cards: Vec<Vec<TeraValue>>,
    /// Page-independent values per language.
    langs: Arc<BTreeMap<Lang, LangValues>>,
    /// The images `resize_image` uses (see [`Renderer::from_prepared`]).
    images: super::resize_fn::ImagesSlot,
}

impl Prepared {
    /// This preparation for `site`, a site that differs from the one it was made for only
    /// in the text of `entries` (same identities, releases and taxonomy terms) and, with
    /// `order`, in the order of entries inside their releases: cards move with their
    /// entries, those of `entries` (indexes into the new order) are built again, everything
    /// else is shared.
    /// Fails if an entry's `card.html` does not render.
    pub fn with_entries(
        &self,
        site: &Site,
        entries: &[usize],
        order: Option<&Reorder>,
    ) -> Result<Prepared, Diagnostic> {
        let mut p = self.clone();
        *p.images.write().unwrap_or_else(|e| e.into_inner()) = site.images.clone();
        for (o, b) in order
            .iter()
            .flat_map(|o| o.blocks().iter().map(move |b| (o, b)))
        {
            for i in b.clone() {
                p.cards[o.new_index(i)] = self.cards[i].clone();
            }
        }
        let parts = shared::CardParts::new(site, self.card_template());
        for &i in entries {
            p.cards[i] = shared::entry_cards(site, &parts, &site.entries[i])?;
        }
        Ok(p)
    }

    fn card_template(&self) -> shared::CardTemplate<'_> {
        shared::CardTemplate {
            tera: &self.tera,
            langs: &self.langs,
        }
    }
}

/// Renders one page at a time from a site and its [`Prepared`] values.
pub struct Renderer<'a> {
    site: &'a Site,
    prepared: Arc<Prepared>,
    /// Links of match lists, made as pages first need them (see [`market::Links`]).
    links: market::Links,
}

/// The site path of an entry version's cover image as published, if it has one.
pub(super) fn cover_path(site: &Site, v: &EntryVersion) -> Option<String> {
    pictures::entry_cover_rel(v).map(|rel| pictures::published_path(site, rel))
}

/// The label of option `key` of the enum field `field` (or of its list items) in `lang`.
pub(crate) fn enum_label(site: &Site, field: &str, key: &str, lang: &Lang) -> String {
    site.config
        .schema
        .fields
        .get(field)
        .and_then(|f| f.kind.enum_options())
        .and_then(|o| o.iter().find(|o| o.key == key))
        .map(|o| {
            o.labels
                .get(lang.as_str(), site.default_lang().as_str(), key)
                .to_string()
        })
        .unwrap_or_else(|| key.to_string())
}

impl<'a> Renderer<'a> {
    pub fn new(site: &'a Site, root: &std::path::Path) -> Result<Self, Vec<Diagnostic>> {
        Renderer::without_cards(site, root)?.with_cards()
    }

    /// A renderer for entry pages only, which show no cards: a build renders them while it
    /// still holds their bodies' HTML and makes the cards after letting go of it, so a large
    /// site never holds both. [`Renderer::with_cards`] makes it fit for every page.
    pub fn without_cards(site: &'a Site, root: &std::path::Path) -> Result<Self, Vec<Diagnostic>> {
        let images = Arc::new(std::sync::RwLock::new(site.images.clone()));
        let (tera, strings) = templates::load_with(root, &site.config.theme, |tera| {
            super::resize_fn::register(tera, site, images.clone())
        })?;
        let search = crate::search::enabled(root, &site.config.theme);
        let market = crate::plan::collection_pages(root, &site.config.theme);
        let langs = shared::lang_values(site, &strings, search, market);
        Ok(Renderer {
            site,
            links: market::Links::new(site),
            prepared: Arc::new(Prepared {
                tera: Arc::new(tera),
                strings: Arc::new(strings),
                cards: Vec::new(),
                langs: Arc::new(langs),
                images,
            }),
        })
    }

    /// This renderer with every entry's cards made (see [`Renderer::without_cards`]); fails
    /// if `card.html` does not render.
    pub fn with_cards(self) -> Result<Self, Vec<Diagnostic>> {
        let p = &self.prepared;
        let prepared = Prepared {
            tera: p.tera.clone(),
            strings: p.strings.clone(),
            cards: shared::cards(self.site, p.card_template())?,
            langs: p.langs.clone(),
            images: p.images.clone(),
        };
        Ok(Renderer {
            site: self.site,
            prepared: Arc::new(prepared),
            links: self.links,
        })
    }

    /// A renderer for `site` with values prepared earlier (see [`Prepared::with_entries`]).
    /// The templates' `resize_image` makes images of `site`'s images from now on (the
    /// preview renders one site at a time).
    pub fn from_prepared(site: &'a Site, prepared: Arc<Prepared>) -> Self {
        *prepared.images.write().unwrap_or_else(|e| e.into_inner()) = site.images.clone();
        Renderer {
            site,
            prepared,
            links: market::Links::new(site),
        }
    }

    /// The prepared values, to keep for a later rebuild.
    pub fn prepared(&self) -> Arc<Prepared> {
        self.prepared.clone()
    }

    fn lang_index(&self, lang: &Lang) -> usize {
        self.site
            .config
            .languages
            .iter()
            .position(|l| l == lang)
            .unwrap_or(0)
    }

    /// The site this renderer renders.
    pub fn site(&self) -> &'a Site {
        self.site
    }

    /// The interface string `key` in `lang` (else in the default language, else the key).
    pub(super) fn t(&self, lang: &Lang, key: &str) -> String {
        let default = self.site.default_lang().as_str();
        templates::string(&self.prepared.strings, lang.as_str(), default, key)
    }

    fn cards(&self, entries: &[usize], lang: &Lang) -> TeraValue {
        let cards = &self.prepared.cards;
        debug_assert!(
            entries.is_empty() || !cards.is_empty(),
            "cards asked of a renderer without cards"
        );
        let list: Vec<TeraValue> = entries
            .iter()
            .filter_map(|&i| cards.get(i)?.get(self.lang_index(lang)).cloned())
            .collect();
        TeraValue::from(list)
    }

    /// The URL of `kind` (a page in language `from`) in `lang`, if that page exists there;
    /// a term page past the last page there falls back to that term's last page.
    fn url_of(&self, kind: &PageKind, from: &Lang, lang: &Lang) -> Option<String> {
        page_in(self.site, kind, from, lang, Match::Nearest)
    }
}

impl<'a> Renderer<'a> {
    /// Render one planned page: its HTML, as UTF-8 bytes.
    pub fn render(&self, page: &PlannedPage) -> Result<Vec<u8>, Diagnostic> {
        let ctx = self.context(page);
        templates::render(&self.prepared.tera, page.kind.template(), &ctx)
    }

    fn context(&self, page: &PlannedPage) -> Context {
        let s = self.site;
        let lang = &page.lang;
        let u = &s.urls;
        let default = s.default_lang();
        let mut ctx = Context::new();
        ctx.insert("lang", lang.as_str());
        ctx.insert("default_lang", default.as_str());
        let shared = &self.prepared.langs[lang];
        ctx.insert_value("t", shared.t.clone());

        // Every language's version of this page: `Some` where it exists. `page.translations`
        // lists those (for hreflang); the switcher offers every language, falling back to
        // that language's home page.
        let versions: Vec<(&Lang, Option<String>)> = s
            .config
            .languages
            .iter()
            .map(|l| (l, self.url_of(&page.kind, lang, l)))
            .collect();
        let link = |l: &Lang, path: &str| Link {
            lang: l.to_string(),
            label: self.t(l, "language_name"),
            url: u.href(path),
            permalink: u.permalink(path),
            current: l == lang,
        };
        // hreflang alternates must point back at this page, so only exact counterparts count.
        let translations: Vec<Link> = s
            .config
            .languages
            .iter()
            .filter_map(|l| Some(link(l, &page_in(s, &page.kind, lang, l, Match::Exact)?)))
            .collect();
        let switcher: Vec<Link> = versions
            .iter()
            .map(|(l, p)| link(l, p.as_deref().unwrap_or(&u.home(l))))
            .collect();
        let mut site = shared.site.clone();
        site.insert("languages".into(), TeraValue::from_serializable(&switcher));
        ctx.insert_value("site", TeraValue::from(site));
        let head = self.head(page);
        let locale_alternates: Vec<String> = translations
            .iter()
            .filter(|t| !t.current)
            .filter_map(|t| Lang::parse(&t.lang))
            .map(|l| structured::og_locale(&l))
            .collect();
        ctx.insert(
            "page",
            &PageContext {
                kind: page.kind.template().trim_end_matches(".html"),
                url: u.href(&page.site_path),
                permalink: u.permalink(&page.site_path),
                translations,
                title: head.title,
                description: head.description,
                og_type: head.og_type,
                locale: structured::og_locale(lang),
                locale_alternates,
                image: head.image,
                jsonld: head.jsonld,
                feed_url: head.feeds.first().map(|f| f.url.clone()),
                feeds: head.feeds,
            },
        );

        let release_ctx = |i: usize, with_intro: bool| -> TeraValue {
            if with_intro {
                shared.release_intro[i].clone()
            } else {
                shared.release[i].clone()
            }
        };

        // Field values shown as HTML (entry and item pages, collection cards).
        let (yes, no) = (self.t(lang, "yes"), self.t(lang, "no"));
        let d = Displayer {
            site: s,
            lang,
            yes: &yes,
            no: &no,
        };
        match &page.kind {
            PageKind::Home => {
                ctx.insert_value("releases", shared.releases.clone());
                if !s.releases.is_empty() {
                    ctx.insert_value("latest", release_ctx(0, true));
                    let latest: Vec<usize> =
                        s.releases[0].entries.iter().copied().take(12).collect();
                    ctx.insert_value("latest_entries", self.cards(&latest, lang));
                }
            }
            PageKind::ReleaseIndex => ctx.insert_value("releases", shared.releases.clone()),
            PageKind::Release(i) => {
                ctx.insert_value("release", release_ctx(*i, true));
                let id = &s.releases[*i].id;
                ctx.insert(
                    "downloads",
                    &Downloads {
                        json: u.href(&u.data_release(id, "json")),
                        csv: u.href(&u.data_release(id, "csv")),
                        feed: u.href(&u.release_feed(lang, id)),
                    },
                );
                ctx.insert_value("groups", self.groups(&s.releases[*i].entries, lang));
                ctx.insert_value("entries", self.cards(&s.releases[*i].entries, lang));
                ctx.insert("release_items", &market::release_items(s, *i, &d));
            }
            PageKind::Entry(i) => {
                let e = &s.entries[*i];
                let v = e.version(lang, default);
                let cover = cover_path(s, v).map(|p| u.href(&p));
                let cover_alt = v.values.get("cover_alt").and_then(Value::as_text);
                // The cover is the first image a reader sees: not lazy.
                let cover_html = pictures::entry_cover_rel(v)
                    .and_then(|rel| pictures::set_of(s, rel))
                    .map(|set| {
                        let alt = cover_alt.unwrap_or(&v.title);
                        pictures::picture(s, &set, alt, false, &s.images.settings.sizes)
                    });
                ctx.insert(
                    "entry",
                    &EntryContext {
                        slug: e.slug.as_str(),
                        title: &v.title,
                        summary: v.summary.as_deref(),
                        url: u.href(&page.site_path),
                        date: e.date.to_string(),
                        date_display: localized_date(&e.date, lang),
                        body_html: &v.body_html.get(),
                        fields: d.fields(&v.values),
                        values: &v.values,
                        cover,
                        cover_alt,
                        cover_html,
                        hold: hold_info(&e.hold),
                        source: v.source.path.to_string_lossy(),
                    },
                );
                ctx.insert_value("release", release_ctx(e.release_index, false));
                self.market_of(&mut ctx, ItemRef::Entry(*i), lang);
            }
            PageKind::TaxonomyIndex(t) => {
                ctx.insert_value("taxonomy", shared.taxonomies[*t].clone());
            }
            PageKind::Term {
                taxonomy,
                term,
                page: n,
                pages,
            } => {
                let tax = &s.taxonomies[*taxonomy];
                let terms = tax.terms.get(lang).map(Vec::as_slice).unwrap_or(&[]);
                let t = &terms[*term];
                let per = s.config.paginate_by;
                let slice: Vec<usize> = t
                    .entries
                    .iter()
                    .copied()
                    .skip((n - 1) * per)
                    .take(per)
                    .collect();
                let page_url = |k: usize| u.href(&u.term(lang, &tax.slug, &t.slug, k));
                ctx.insert_value("taxonomy", shared.taxonomies[*taxonomy].clone());
                ctx.insert(
                    "term",
                    &TermContext {
                        label: &t.label,
                        slug: t.slug.as_str(),
                        count: t.entries.len(),
                        url: page_url(1),
                    },
                );
                ctx.insert("paginator", &Paginator::new(*n, *pages, page_url));
                ctx.insert_value("entries", self.cards(&slice, lang));
            }
            PageKind::Page(i) => {
                let p = &s.pages[*i];
                let v = &p.versions[lang];
                ctx.insert(
                    "standalone",
                    &Standalone {
                        title: &v.title,
                        body_html: &v.body_html,
                    },
                );
            }
            PageKind::NotFound => {}
            PageKind::Stats | PageKind::ReleaseStats(_) => {
                let scope = match page.kind {
                    PageKind::ReleaseStats(i) => {
                        ctx.insert_value("release", release_ctx(i, false));
                        charts::Scope::Release(i)
                    }
                    _ => charts::Scope::Site,
                };
                let t = |key: &str| self.t(lang, key);
                ctx.insert("stats", &charts::context(s, scope, lang, &t));
            }
            PageKind::Collection {
                collection,
                page: n,
                pages,
            } => {
                let c = &s.collections[*collection];
                let per = s.config.paginate_by;
                let page_url = |k: usize| u.href(&u.collection(lang, &c.name, k));
                ctx.insert(
                    "collection",
                    &market::collection_context(s, *collection, lang),
                );
                ctx.insert(
                    "items",
                    &market::cards(s, *collection, (n - 1) * per..n * per, &d),
                );
                ctx.insert("paginator", &Paginator::new(*n, *pages, page_url));
            }
            PageKind::CollectionTaxonomy {
                collection,
                taxonomy,
            } => {
                ctx.insert(
                    "collection",
                    &market::collection_context(s, *collection, lang),
                );
                ctx.insert(
                    "taxonomy",
                    &market::taxonomy_view(s, *collection, *taxonomy, lang),
                );
            }
            PageKind::CollectionTerm {
                collection,
                taxonomy,
                term,
                page: n,
                pages,
            } => {
                let c = &s.collections[*collection];
                let tax = &c.taxonomies[*taxonomy];
                let terms = tax.terms.get(lang).map(Vec::as_slice).unwrap_or(&[]);
                let t = &terms[*term];
                let per = s.config.paginate_by;
                let page_url =
                    |k: usize| u.href(&u.collection_term(lang, &c.name, &tax.slug, &t.slug, k));
                ctx.insert(
                    "collection",
                    &market::collection_context(s, *collection, lang),
                );
                let mut view = market::taxonomy_view(s, *collection, *taxonomy, lang);
                view.terms.clear();
                ctx.insert("taxonomy", &view);
                ctx.insert(
                    "term",
                    &market::term_view(s, *collection, *taxonomy, t, lang),
                );
                let which = t.entries.iter().copied().skip((n - 1) * per).take(per);
                ctx.insert("items", &market::cards_of(s, *collection, which, &d));
                ctx.insert("paginator", &Paginator::new(*n, *pages, page_url));
            }
            PageKind::CollectionStats(collection) => {
                let cc = market::collection_context(s, *collection, lang);
                // A collection's own words (`collection_stats_total`…) where the theme has
                // them, with `{collection}` its label; else the results' words.
                let t = |key: &str| {
                    let own = format!("collection_{key}");
                    match self.t(lang, &own) {
                        text if text == own => self.t(lang, key),
                        text => text.replace("{collection}", &cc.label),
                    }
                };
                ctx.insert("collection", &cc);
                let scope = charts::Scope::Collection(*collection);
                ctx.insert("stats", &charts::context(s, scope, lang, &t));
            }
            PageKind::Item { collection, item } => {
                ctx.insert(
                    "item",
                    &market::item_context(s, *collection, *item, u.href(&page.site_path), &d),
                );
                ctx.insert(
                    "collection",
                    &market::collection_context(s, *collection, lang),
                );
                let who = ItemRef::Item {
                    collection: *collection,
                    item: *item,
                };
                self.market_of(&mut ctx, who, lang);
            }
            PageKind::Search => {
                let default = s.default_lang();
                ctx.insert(
                    "search",
                    &SearchContext {
                        url: u.href(&u.search(lang)),
                        root: u.href(&u.search_data(lang, "")),
                        default_root: u.href(&u.search_data(default, "")),
                        script: u.href(&u.search_data(default, "search.js")),
                    },
                );
            }
        }
        ctx
    }

    /// What the page of `who` shows of the marketplace: `backlinks` (who refers to it),
    /// `matches` (for a result, the open demands and bases it may answer; for an item, the
    /// results that answer it) and, for a result, `related` results.
    fn market_of(&self, ctx: &mut Context, who: ItemRef, lang: &Lang) {
        let s = self.site;
        let w = &self.prepared.langs[lang].market;
        let (links, li) = (&self.links, self.lang_index(lang));
        ctx.insert("backlinks", &market::backlinks(s, who, w));
        let matches = market::matches(s, who, s.matches.of(who), w, links, li);
        ctx.insert_value("matches", matches);
        if let ItemRef::Entry(i) = who {
            let related = s.matches.related.get(i).map_or(&[][..], |l| l);
            ctx.insert_value("related", market::matches(s, who, related, w, links, li));
        }
    }

    /// A release's entries grouped by the `group_by` taxonomy's first value, in option order.
    fn groups(&self, entries: &[usize], lang: &Lang) -> TeraValue {
        let s = self.site;
        let Some(field) = s.config.group_by.as_deref() else {
            return TeraValue::from(Vec::<TeraValue>::new());
        };
        let options = s
            .config
            .schema
            .fields
            .get(field)
            .and_then(|f| f.kind.enum_options());
        let mut groups: IndexMap<String, Vec<usize>> = IndexMap::new();
        for &i in entries {
            let v = s.entries[i].version(lang, s.default_lang());
            let key = v
                .values
                .get(field)
                .and_then(|x| x.text_iter().next().map(str::to_string))
                .unwrap_or_default();
            groups.entry(key).or_default().push(i);
        }
        if let Some(opts) = options {
            groups.sort_by_cached_key(|k, _| {
                opts.iter().position(|o| &o.key == k).unwrap_or(usize::MAX)
            });
        } else {
            groups.sort_keys();
        }
        let list: Vec<TeraValue> = groups
            .into_iter()
            .map(|(key, items)| {
                let label = if options.is_some() {
                    enum_label(s, field, &key, lang)
                } else {
                    key.clone()
                };
                let mut m = tera::Map::new();
                m.insert("key".into(), TeraValue::from(key));
                m.insert("label".into(), TeraValue::from(label));
                m.insert("count".into(), TeraValue::from(items.len()));
                m.insert("entries".into(), self.cards(&items, lang));
                TeraValue::from(m)
            })
            .collect();
        TeraValue::from(list)
    }
}
