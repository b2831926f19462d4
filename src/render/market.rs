//! Template values of the marketplace: the pages of collections (`collection.html`,
//! `item.html`) and what entry pages show of them — back-links from referring items, the
//! open demands a result may answer, related results — each match with its score and its
//! reasons in the page's language. It builds values from the model; it decides nothing
//! about matching (`model::matching`) or what pages exist (`plan`).

use std::sync::OnceLock;

use serde::Serialize;
use tera::Value as TeraValue;

use crate::config::{RELEASES, RESULTS};
use crate::model::Site;
use crate::model::ids::Lang;
use crate::model::matching::{self, Match, Reason};
use crate::model::refs::ItemRef;
use crate::render::display::{DisplayField, Displayer};
use crate::render::shared::{HoldInfo, hold_info, localized_date};

/// The title (in `lang`, else the original's) and the URL of an entry or item.
pub fn title_and_url(site: &Site, who: ItemRef, lang: &Lang) -> (String, String) {
    let (u, default) = (&site.urls, site.default_lang());
    match who {
        ItemRef::Entry(i) => {
            let e = &site.entries[i];
            let l = if e.versions.contains_key(lang) {
                lang
            } else {
                default
            };
            (
                e.version(lang, default).title.clone(),
                u.href(&u.entry(l, &e.release, &e.slug)),
            )
        }
        ItemRef::Item { collection, item } => {
            let c = &site.collections[collection];
            let it = &c.items[item];
            let l = if it.versions.contains_key(lang) {
                lang
            } else {
                default
            };
            (
                it.version(lang, default).title.clone(),
                u.href(&u.item(l, &c.name, &it.slug)),
            )
        }
        ItemRef::Release(r) => {
            let r = &site.releases[r];
            let text = r.text.get(lang).or_else(|| r.text.get(default));
            (
                text.map(|t| t.title.clone()).unwrap_or_default(),
                u.href(&u.release(lang, &r.id)),
            )
        }
    }
}

/// The name of the collection of `who` and its label in the words' language.
fn collection_of(who: ItemRef, w: &Words) -> (&str, &str) {
    match who {
        ItemRef::Entry(_) => (RESULTS, &w.results_label),
        ItemRef::Release(_) => (RELEASES, &w.releases_label),
        ItemRef::Item { collection, .. } => {
            let (name, label) = &w.collections[collection];
            (name, label)
        }
    }
}

/// A link to an entry or item, as lists on other pages show it.
#[derive(Serialize)]
pub(crate) struct ItemLink {
    pub title: String,
    pub url: String,
    /// `results`, or the collection's name.
    pub collection: String,
    pub collection_label: String,
    /// An item past its `closes` date.
    pub closed: bool,
}

/// Back-links of one field: the items that name this one in `field`.
#[derive(Serialize)]
pub(crate) struct BacklinkGroup {
    pub field: String,
    /// The referring field's label, and the referring collection's.
    pub label: String,
    pub items: Vec<ItemLink>,
}

/// `item`: an item page's version of the item.
#[derive(Serialize)]
pub(crate) struct ItemContext<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub summary: Option<&'a str>,
    pub url: String,
    pub date: Option<String>,
    pub date_display: Option<String>,
    pub closes: Option<String>,
    pub closes_display: Option<String>,
    pub closed: bool,
    pub body_html: String,
    pub fields: Vec<DisplayField>,
    pub values: &'a crate::validate::Fields,
    pub hold: Option<HoldInfo>,
}

/// `collection`: a collection's name, label and list URL (on its list and item pages).
#[derive(Serialize)]
pub(crate) struct CollectionContext {
    pub name: String,
    pub label: String,
    pub url: String,
    pub count: usize,
    pub open: usize,
    /// The collection's open data: `json`, `csv`, `csv_metadata`.
    pub data: CollectionData,
    /// Its taxonomies' pages (`name`, `label`, `url`).
    pub taxonomies: Vec<TaxonomyLink>,
    /// Its statistics page.
    pub stats_url: String,
}

/// A link to a collection's taxonomy page.
#[derive(Serialize)]
pub(crate) struct TaxonomyLink {
    pub name: String,
    pub label: String,
    pub url: String,
}

/// A term of a collection's taxonomy, as `taxonomy.html` and `collection.html` show it.
#[derive(Serialize)]
pub(crate) struct TermView {
    pub label: String,
    pub slug: String,
    pub count: usize,
    pub url: String,
}

/// `taxonomy`: a collection's taxonomy with its terms in one language, shaped like the
/// results' taxonomies.
#[derive(Serialize)]
pub(crate) struct TaxonomyView {
    pub name: String,
    pub label: String,
    pub url: String,
    pub terms: Vec<TermView>,
}

/// Where a collection's open data is.
#[derive(Serialize)]
pub(crate) struct CollectionData {
    pub json: String,
    pub csv: String,
    pub csv_metadata: String,
}

/// A card of an item in a collection's list.
#[derive(Serialize)]
pub(crate) struct ItemCard {
    pub title: String,
    pub summary: Option<String>,
    pub url: String,
    pub date: Option<String>,
    pub date_display: Option<String>,
    pub closes_display: Option<String>,
    pub closed: bool,
    pub hold: Option<HoldInfo>,
    /// Display rows of the item's taxonomy fields (fields, region…).
    pub tags: Vec<DisplayField>,
}

/// The marketplace's words in one language, made once per build from the theme's strings
/// (a page lists a dozen matches and reasons; looking their words up again for each would
/// be most of what showing them costs).
pub(crate) struct Words {
    pub lang: Lang,
    results_label: String,
    releases_label: String,
    /// Per collection of the site: its name and label.
    collections: Vec<(String, String)>,
    /// The sentence of each kind of reason, cut where its value goes (`{v}`).
    field: Sentence,
    keyword: Sentence,
    terms: Sentence,
    region: Sentence,
    synonym: Sentence,
    /// Between terms: `、` in Chinese, `, ` otherwise.
    sep: &'static str,
    /// Between a field's label and its option: `：` in Chinese, `: ` otherwise.
    colon: &'static str,
}

/// A theme string with a value to put in: the pieces between its `{v}`s.
struct Sentence(Vec<String>);

impl Sentence {
    fn new(template: &str) -> Sentence {
        Sentence(template.split("{v}").map(str::to_string).collect())
    }

    /// The sentence with `value` at each `{v}`; `value` writes it.
    fn say(&self, out: &mut String, value: impl Fn(&mut String)) {
        for (i, piece) in self.0.iter().enumerate() {
            if i > 0 {
                value(out);
            }
            out.push_str(piece);
        }
    }
}

impl Words {
    /// The words of `lang`; `t` looks up a theme string in it.
    pub fn new(site: &Site, lang: &Lang, t: impl Fn(&str) -> String) -> Words {
        let zh = lang.as_str().starts_with("zh");
        let colon = if zh { "：" } else { ": " };
        let default = site.default_lang().as_str();
        Words {
            lang: lang.clone(),
            results_label: t("results_label"),
            releases_label: t("releases"),
            collections: (site.collections.iter())
                .map(|c| {
                    let def = &site.config.collections[c.def];
                    let label = def.label_in(lang.as_str(), default);
                    (def.name.to_string(), label.to_string())
                })
                .collect(),
            // The field sentence's own `：` reads as the language's colon, as its value's do.
            field: Sentence::new(&t("match_field").replace("：", colon)),
            keyword: Sentence::new(&t("match_keyword")),
            terms: Sentence::new(&t("match_terms")),
            region: Sentence::new(&t("match_region")),
            synonym: Sentence::new(&t("match_synonym")),
            sep: if zh { "、" } else { ", " },
            colon,
        }
    }
}

fn reason_text(site: &Site, owner: ItemRef, r: &Reason, w: &Words) -> String {
    let default = site.default_lang().as_str();
    let mut out = String::new();
    match r {
        Reason::Field { field, key } => {
            // Both sides name the key; the owner's schema labels it.
            let schema = matching::schema_of(&site.config, &site.collections, owner);
            let (label, option) =
                matching::field_labels(schema, field, key, w.lang.as_str(), default);
            let colon = |s: &str, out: &mut String| out.push_str(&s.replace("：", w.colon));
            w.field.say(&mut out, |out| {
                colon(label, out);
                out.push_str(w.colon);
                colon(option, out);
            });
        }
        Reason::Keyword { keyword } => w.keyword.say(&mut out, |o| o.push_str(keyword)),
        Reason::Terms { terms } => w.terms.say(&mut out, |out| {
            for (i, t) in terms.iter().enumerate() {
                if i > 0 {
                    out.push_str(w.sep);
                }
                out.push_str(t);
            }
        }),
        Reason::Region { region } => w.region.say(&mut out, |o| o.push_str(region)),
        Reason::Synonym { word } => w.synonym.say(&mut out, |o| o.push_str(word)),
    }
    out
}

fn link(site: &Site, who: ItemRef, w: &Words) -> ItemLink {
    let (title, url) = title_and_url(site, who, &w.lang);
    let (collection, collection_label) = collection_of(who, w);
    ItemLink {
        title,
        url,
        collection: collection.to_string(),
        collection_label: collection_label.to_string(),
        closed: closed(site, who),
    }
}

/// Whether `who` is an item past its `closes` date.
fn closed(site: &Site, who: ItemRef) -> bool {
    match who {
        ItemRef::Item { collection, item } => site.collections[collection].items[item].closed,
        ItemRef::Entry(_) | ItemRef::Release(_) => false,
    }
}

/// The links match lists show, each made once per renderer and language: a result is the
/// target of half a dozen matches on other pages in each language, and making its title
/// and URL again for each was most of what showing matches cost.
pub(crate) struct Links {
    /// Where each collection's items start among the links (the entries come first).
    starts: Vec<usize>,
    /// Per language of the site, per entry and item: its title and URL as template values.
    made: Vec<Vec<OnceLock<(TeraValue, TeraValue)>>>,
}

impl Links {
    /// No link made yet; a site without collections has no matches and needs none.
    pub fn new(site: &Site) -> Links {
        if site.collections.is_empty() {
            return Links {
                starts: Vec::new(),
                made: Vec::new(),
            };
        }
        let mut starts = Vec::with_capacity(site.collections.len());
        let mut n = site.entries.len();
        for c in site.collections.iter() {
            starts.push(n);
            n += c.items.len();
        }
        let made = (site.config.languages.iter())
            .map(|_| (0..n).map(|_| OnceLock::new()).collect())
            .collect();
        Links { starts, made }
    }

    /// The [`ItemLink`] of `who` in the language of `w` (the `lang`-th of the site), as a
    /// template map.
    fn get(&self, site: &Site, who: ItemRef, w: &Words, lang: usize) -> tera::Map {
        let slot = match who {
            ItemRef::Entry(i) => Some(i),
            ItemRef::Item { collection, item } => self.starts.get(collection).map(|s| s + item),
            ItemRef::Release(_) => None,
        };
        let make = || {
            let (title, url) = title_and_url(site, who, &w.lang);
            (TeraValue::from(title), TeraValue::from(url))
        };
        let (title, url) = match slot.and_then(|i| self.made.get(lang)?.get(i)) {
            Some(cell) => cell.get_or_init(make).clone(),
            None => make(),
        };
        let (collection, collection_label) = collection_of(who, w);
        let mut m = tera::Map::with_capacity(8);
        m.insert("title".into(), title);
        m.insert("url".into(), url);
        m.insert("collection".into(), collection.into());
        m.insert("collection_label".into(), collection_label.into());
        m.insert("closed".into(), closed(site, who).into());
        m
    }
}

/// The matches `list` of `owner`'s page in the `lang`-th language of the site: per match,
/// the target's [`ItemLink`] fields, `score` (hundredths), `score_display` (`12.34`) and
/// `reasons`, each a sentence in the page's language.
pub(crate) fn matches(
    site: &Site,
    owner: ItemRef,
    list: &[Match],
    w: &Words,
    links: &Links,
    lang: usize,
) -> TeraValue {
    let views: Vec<TeraValue> = list
        .iter()
        .map(|m| {
            let mut v = links.get(site, m.target, w, lang);
            v.insert("score".into(), m.score.into());
            let display = format!("{}.{:02}", m.score / 100, m.score % 100);
            v.insert("score_display".into(), display.into());
            let reasons: Vec<TeraValue> = (m.reasons.iter())
                .map(|r| reason_text(site, owner, r, w).into())
                .collect();
            v.insert("reasons".into(), reasons.into());
            TeraValue::from(v)
        })
        .collect();
    TeraValue::from(views)
}

/// Who refers to `target`, grouped by the referring collection and field.
pub(crate) fn backlinks(site: &Site, target: ItemRef, w: &Words) -> Vec<BacklinkGroup> {
    let Some(incoming) = site.links.incoming.get(&target) else {
        return Vec::new();
    };
    let default = site.default_lang().as_str();
    let mut groups: Vec<BacklinkGroup> = Vec::new();
    for (field, from) in incoming {
        let schema = matching::schema_of(&site.config, &site.collections, *from);
        let (coll, coll_label) = collection_of(*from, w);
        let key = format!("{coll}.{field}");
        let field_label = schema
            .fields
            .get(&**field)
            .map(|d| d.label.get(w.lang.as_str(), default, field).to_string())
            .unwrap_or_else(|| field.to_string());
        let item = link(site, *from, w);
        match groups.iter_mut().find(|g| g.field == key) {
            Some(g) => g.items.push(item),
            None => groups.push(BacklinkGroup {
                field: key,
                label: format!("{coll_label} · {field_label}"),
                items: vec![item],
            }),
        }
    }
    groups
}

/// The `item` value of an item page.
pub(crate) fn item_context<'a>(
    site: &'a Site,
    collection: usize,
    item: usize,
    url: String,
    d: &Displayer<'_>,
) -> ItemContext<'a> {
    let c = &site.collections[collection];
    let it = &c.items[item];
    let v = it.version(d.lang, site.default_lang());
    ItemContext {
        slug: it.slug.as_str(),
        title: &v.title,
        summary: v.summary.as_deref(),
        url,
        date: it.date.map(|x| x.to_string()),
        date_display: it.date.map(|x| localized_date(&x, d.lang)),
        closes: it.closes.map(|x| x.to_string()),
        closes_display: it.closes.map(|x| localized_date(&x, d.lang)),
        closed: it.closed,
        body_html: v.body_html.get().to_string(),
        fields: d.item_fields(collection, &v.values),
        values: &v.values,
        hold: hold_info(&it.hold),
    }
}

/// The `collection` value of a collection's pages.
pub(crate) fn collection_context(site: &Site, collection: usize, lang: &Lang) -> CollectionContext {
    let c = &site.collections[collection];
    let def = &site.config.collections[c.def];
    let u = &site.urls;
    CollectionContext {
        name: c.name.to_string(),
        label: def
            .label_in(lang.as_str(), site.default_lang().as_str())
            .to_string(),
        url: u.href(&u.collection(lang, &c.name, 1)),
        count: c.items.len(),
        open: c.items.iter().filter(|i| !i.closed).count(),
        data: CollectionData {
            json: u.href(&u.data_collection(&c.name)),
            csv: u.href(&u.data_collection_csv(&c.name)),
            csv_metadata: u.href(&u.data_collection_csv_metadata(&c.name)),
        },
        taxonomies: c
            .taxonomies
            .iter()
            .map(|t| TaxonomyLink {
                name: t.field.clone(),
                label: def.schema.fields[&t.field]
                    .label
                    .get(lang.as_str(), site.default_lang().as_str(), &t.field)
                    .to_string(),
                url: u.href(&u.collection_taxonomy(lang, &c.name, &t.slug)),
            })
            .collect(),
        stats_url: u.href(&u.collection_stats(lang, &c.name)),
    }
}

/// Taxonomy `taxonomy` of collection `collection` with its terms in `lang`.
pub(crate) fn taxonomy_view(
    site: &Site,
    collection: usize,
    taxonomy: usize,
    lang: &Lang,
) -> TaxonomyView {
    let c = &site.collections[collection];
    let def = &site.config.collections[c.def];
    let tax = &c.taxonomies[taxonomy];
    let u = &site.urls;
    TaxonomyView {
        name: tax.field.clone(),
        label: def.schema.fields[&tax.field]
            .label
            .get(lang.as_str(), site.default_lang().as_str(), &tax.field)
            .to_string(),
        url: u.href(&u.collection_taxonomy(lang, &c.name, &tax.slug)),
        terms: tax
            .terms
            .get(lang)
            .into_iter()
            .flatten()
            .map(|t| term_view(site, collection, taxonomy, t, lang))
            .collect(),
    }
}

/// One term of a collection's taxonomy.
pub(crate) fn term_view(
    site: &Site,
    collection: usize,
    taxonomy: usize,
    t: &crate::model::Term,
    lang: &Lang,
) -> TermView {
    let c = &site.collections[collection];
    let u = &site.urls;
    let tax = &c.taxonomies[taxonomy];
    TermView {
        label: t.label.clone(),
        slug: t.slug.to_string(),
        count: t.entries.len(),
        url: u.href(&u.collection_term(lang, &c.name, &tax.slug, &t.slug, 1)),
    }
}

/// Cards of items `range` of a collection.
pub(crate) fn cards(
    site: &Site,
    collection: usize,
    range: std::ops::Range<usize>,
    d: &Displayer<'_>,
) -> Vec<ItemCard> {
    let len = site.collections[collection].items.len();
    cards_of(
        site,
        collection,
        range.start.min(len)..range.end.min(len),
        d,
    )
}

/// The items of each collection published in release `release` (those whose `ref` field to
/// `releases` names it), collection by collection in `site.toml` order, items in collection
/// order.
pub(crate) fn release_items(site: &Site, release: usize, d: &Displayer<'_>) -> Vec<ReleaseItems> {
    let mut per: Vec<Vec<usize>> = vec![Vec::new(); site.collections.len()];
    for (_, from) in site
        .links
        .incoming
        .get(&ItemRef::Release(release))
        .into_iter()
        .flatten()
    {
        if let ItemRef::Item { collection, item } = *from
            && !per[collection].contains(&item)
        {
            per[collection].push(item);
        }
    }
    per.into_iter()
        .enumerate()
        .filter(|(_, items)| !items.is_empty())
        .map(|(c, mut items)| {
            items.sort_unstable();
            ReleaseItems {
                collection: collection_context(site, c, d.lang),
                items: cards_of(site, c, items, d),
            }
        })
        .collect()
}

/// One collection's items in a release.
#[derive(Serialize)]
pub(crate) struct ReleaseItems {
    pub collection: CollectionContext,
    pub items: Vec<ItemCard>,
}

/// Cards of the items `which` of a collection.
pub(crate) fn cards_of(
    site: &Site,
    collection: usize,
    which: impl IntoIterator<Item = usize>,
    d: &Displayer<'_>,
) -> Vec<ItemCard> {
    let c = &site.collections[collection];
    let schema = &site.config.collections[c.def].schema;
    let default = site.default_lang();
    let u = &site.urls;
    which
        .into_iter()
        .filter_map(|i| c.items.get(i))
        .map(|it| {
            let v = it.version(d.lang, default);
            let l = if it.versions.contains_key(d.lang) {
                d.lang
            } else {
                default
            };
            let tags = d
                .item_fields(collection, &v.values)
                .into_iter()
                .filter(|f| schema.fields.get(&f.name).is_some_and(|x| x.taxonomy))
                .collect();
            ItemCard {
                title: v.title.clone(),
                summary: v.summary.clone(),
                url: u.href(&u.item(l, &c.name, &it.slug)),
                date: it.date.map(|x| x.to_string()),
                date_display: it.date.map(|x| localized_date(&x, d.lang)),
                closes_display: it.closes.map(|x| localized_date(&x, d.lang)),
                closed: it.closed,
                hold: hold_info(&it.hold),
                tags,
            }
        })
        .collect()
}
