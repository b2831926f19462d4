//! Template values that do not depend on which page is rendered: for every entry its card
//! (the summary list pages show), and for every language the UI strings, the `site` block,
//! release summaries and taxonomy term lists. They are built once per renderer and cloned
//! into each page's context; tera values are reference-counted, so a clone is cheap.
//! Nothing page-specific belongs here (the language switcher, for one, is per page).

use std::collections::BTreeMap;

use indexmap::IndexMap;
use rayon::prelude::*;
use serde::Serialize;
use tera::value::Key;
use tera::{Context, Map, Tera, Value as TeraValue};

use crate::diagnostics::{Diagnostic, Problem};
use crate::model::ids::Lang;
use crate::model::{Entry, Hold, Site};
use crate::render::context::enum_label;
use crate::render::templates::{self, Strings};
use crate::validate::Value;

#[derive(Serialize, Clone)]
pub(crate) struct HoldInfo {
    kind: &'static str,
    until: Option<String>,
}

pub(crate) fn hold_info(h: &Option<Hold>) -> Option<HoldInfo> {
    h.map(|h| match h {
        Hold::Draft => HoldInfo {
            kind: "draft",
            until: None,
        },
        Hold::Embargoed(t) => HoldInfo {
            kind: "embargoed",
            until: Some(t.to_string()),
        },
    })
}

/// The keys of a card (an entry's short summary for lists), in template order; `html`, the
/// card rendered by the theme's `card.html`, comes last.
const CARD_KEYS: [&str; 15] = [
    "title",
    "summary",
    "url",
    "lang",
    "translated",
    "lead_institution",
    "stage",
    "fields",
    "release_id",
    "release_title",
    "release_url",
    "date",
    "hold",
    "cover",
    "html",
];

/// What many cards hold, made once and shared (tera values are reference-counted, so a
/// card holds a pointer instead of a copy): the keys, each otherwise an allocation of its
/// own in every card, and every release's id, title and URL in every language; and what
/// renders a card's `html`.
pub(crate) struct CardParts<'a> {
    keys: Vec<Key<'static>>,
    /// `releases[release][language index]`: id, title and URL.
    releases: Vec<Vec<[TeraValue; 3]>>,
    /// None if the theme has no `card.html`.
    template: Option<CardTemplate<'a>>,
}

/// The theme's `card.html` and the values its context takes from the card's language.
///
/// Each card is rendered once per language and list pages print it (`e.html`): an entry
/// appears in some eighteen lists (its release, each of its terms, the home page, in each
/// language), and including `card.html` in every one of them cost about 5 % of a build's
/// CPU (4,016 entries: 71,824 cards on 8,523 pages).
pub(crate) struct CardTemplate<'a> {
    pub tera: &'a Tera,
    pub langs: &'a BTreeMap<Lang, LangValues>,
}

impl CardTemplate<'_> {
    /// `card` rendered by `card.html` with `e` (the card), `t`, `lang`, `default_lang` and
    /// `site` in its context.
    fn render(
        &self,
        site: &Site,
        card: &IndexMap<Key<'static>, TeraValue>,
        lang: &Lang,
    ) -> Result<TeraValue, Diagnostic> {
        let shared = &self.langs[lang];
        let mut ctx = Context::new();
        ctx.insert_value("e", TeraValue::from(card.clone()));
        ctx.insert_value("t", shared.t.clone());
        ctx.insert("lang", lang.as_str());
        ctx.insert("default_lang", site.default_lang().as_str());
        ctx.insert_value("site", TeraValue::from(shared.site.clone()));
        let html = templates::render(self.tera, CARD_TEMPLATE, &ctx)?;
        let html = String::from_utf8(html).map_err(|e| {
            Diagnostic::error(Problem::Template {
                template: CARD_TEMPLATE.to_string(),
                message: e.to_string(),
            })
        })?;
        Ok(TeraValue::safe_string(&html))
    }
}

/// The template every card is rendered with.
const CARD_TEMPLATE: &str = "card.html";

impl<'a> CardParts<'a> {
    pub(crate) fn new(site: &Site, template: CardTemplate<'a>) -> CardParts<'a> {
        let default = site.default_lang();
        let releases = site
            .releases
            .iter()
            .map(|r| {
                site.config
                    .languages
                    .iter()
                    .map(|lang| {
                        let rt = r.text.get(lang).unwrap_or(&r.text[default]);
                        [
                            TeraValue::from(r.id.to_string()),
                            TeraValue::from(rt.title.as_str()),
                            TeraValue::from(site.urls.href(&site.urls.release(lang, &r.id))),
                        ]
                    })
                    .collect()
            })
            .collect();
        CardParts {
            keys: CARD_KEYS
                .iter()
                .map(|k| Key::String(std::sync::Arc::from(*k)))
                .collect(),
            releases,
            template: template
                .tera
                .contains_template(CARD_TEMPLATE)
                .then_some(template),
        }
    }
}

/// Entry `e`'s card in `lang` (language `li` of the site).
fn card(
    site: &Site,
    parts: &CardParts,
    e: &Entry,
    lang: &Lang,
    li: usize,
) -> Result<TeraValue, Diagnostic> {
    let default = site.default_lang();
    let translated = e.versions.contains_key(lang);
    let shown = if translated { lang } else { default };
    let v = e.version(lang, default);
    let texts =
        |name: &str| -> Vec<&str> { v.values.get(name).map(|x| x.texts()).unwrap_or_default() };
    let [release_id, release_title, release_url] = parts.releases[e.release_index][li].clone();
    let cover = crate::render::pictures::entry_cover_rel(v)
        .and_then(|rel| crate::render::pictures::set_of(site, rel))
        .map(|set| {
            let alt = v
                .values
                .get("cover_alt")
                .and_then(Value::as_text)
                .unwrap_or(&v.title);
            let sizes = crate::render::pictures::CARD_SIZES;
            crate::render::pictures::picture(site, &set, alt, true, sizes)
        });
    let values: [(&str, TeraValue); 14] = [
        ("title", TeraValue::from(v.title.as_str())),
        (
            "summary",
            TeraValue::from(v.summary.as_deref().unwrap_or_default()),
        ),
        (
            "url",
            TeraValue::from(site.urls.href(&site.urls.entry(shown, &e.release, &e.slug))),
        ),
        ("lang", TeraValue::from(shown.as_str())),
        ("translated", TeraValue::from(translated)),
        (
            "lead_institution",
            TeraValue::from(texts("institutions").first().copied()),
        ),
        (
            "stage",
            TeraValue::from(
                v.values
                    .get("stage")
                    .and_then(Value::as_text)
                    .map(|k| enum_label(site, "stage", k, lang)),
            ),
        ),
        (
            "fields",
            TeraValue::from(
                texts("fields")
                    .iter()
                    .map(|k| enum_label(site, "fields", k, lang))
                    .collect::<Vec<_>>(),
            ),
        ),
        ("release_id", release_id),
        ("release_title", release_title),
        ("release_url", release_url),
        ("date", TeraValue::from(e.date.to_string())),
        (
            "hold",
            hold_info(&e.hold).map_or_else(TeraValue::none, |h| TeraValue::from_serializable(&h)),
        ),
        ("cover", TeraValue::from(cover)),
    ];
    let mut map: IndexMap<Key<'static>, TeraValue> = parts
        .keys
        .iter()
        .zip(values)
        .map(|(key, (name, value))| {
            debug_assert_eq!(key.as_str(), Some(name), "card keys in CARD_KEYS order");
            (key.clone(), value)
        })
        .collect();
    let html = match &parts.template {
        Some(t) => t.render(site, &map, lang)?,
        None => TeraValue::none(),
    };
    map.insert(parts.keys[CARD_KEYS.len() - 1].clone(), html);
    Ok(TeraValue::from(map))
}

pub(crate) fn localized_date(d: &jiff::civil::Date, lang: &Lang) -> String {
    if lang.as_str().starts_with("zh") {
        format!("{}年{}月{}日", d.year(), d.month(), d.day())
    } else {
        d.strftime("%-d %B %Y").to_string()
    }
}

/// Every card of the site: `cards[entry][language index]`; else every distinct error of
/// `card.html`.
pub(crate) fn cards(
    site: &Site,
    template: CardTemplate<'_>,
) -> Result<Vec<Vec<TeraValue>>, Vec<Diagnostic>> {
    let parts = CardParts::new(site, template);
    let made: Vec<Result<Vec<TeraValue>, Diagnostic>> = site
        .entries
        .par_iter()
        .map(|e| entry_cards(site, &parts, e))
        .collect();
    let mut cards = Vec::with_capacity(made.len());
    let mut problems = Vec::new();
    for r in made {
        match r {
            Ok(c) => cards.push(c),
            Err(d) => super::push_once(&mut problems, d),
        }
    }
    if problems.is_empty() {
        Ok(cards)
    } else {
        Err(problems)
    }
}

/// An entry's card in every language of the site, in language order.
pub(crate) fn entry_cards(
    site: &Site,
    parts: &CardParts,
    e: &Entry,
) -> Result<Vec<TeraValue>, Diagnostic> {
    site.config
        .languages
        .iter()
        .enumerate()
        .map(|(li, l)| card(site, parts, e, l, li))
        .collect()
}

/// The page-independent values of one language.
pub(crate) struct LangValues {
    /// The theme's strings in this language (`t`).
    pub t: TeraValue,
    /// The `site` block; its `languages` key holds a placeholder the page replaces.
    pub site: Map,
    /// Every release's summary, newest first (`releases`).
    pub releases: TeraValue,
    /// `release[i]`: release `i`'s summary without its introduction.
    pub release: Vec<TeraValue>,
    /// `release[i]`: release `i`'s summary with its introduction.
    pub release_intro: Vec<TeraValue>,
    /// `taxonomies[t]`: taxonomy `t` with all its terms in this language.
    pub taxonomies: Vec<TeraValue>,
    /// The words matches, reasons and back-links are shown in.
    pub market: crate::render::market::Words,
}

/// `LangValues` for every language of the site.
pub(crate) fn lang_values(
    site: &Site,
    strings: &Strings,
    search: bool,
    market: bool,
) -> BTreeMap<Lang, LangValues> {
    site.config
        .languages
        .par_iter()
        .map(|l| {
            (
                l.clone(),
                LangValues::build(site, l, strings, search, market),
            )
        })
        .collect()
}

impl LangValues {
    /// With `market`, `site.collections` lists the collections' pages for the navigation.
    fn build(s: &Site, lang: &Lang, strings: &Strings, search: bool, market: bool) -> LangValues {
        let u = &s.urls;
        let default = s.default_lang();
        let t = strings.get(lang.as_str()).cloned().unwrap_or_default();
        let nav_tax: Vec<IndexMap<&str, String>> = s
            .taxonomies
            .iter()
            .map(|t| {
                let label = s.config.schema.fields[&t.field]
                    .label
                    .get(lang.as_str(), default.as_str(), &t.field)
                    .to_string();
                IndexMap::from([
                    ("name", t.field.clone()),
                    ("label", label),
                    ("url", u.href(&u.taxonomy(lang, &t.slug))),
                ])
            })
            .collect();
        let nav_pages: Vec<IndexMap<&str, String>> = s
            .pages
            .iter()
            .filter_map(|p| {
                let v = p.versions.get(lang)?;
                Some(IndexMap::from([
                    ("title", v.title.clone()),
                    ("url", u.href(&u.page(lang, &p.slug))),
                ]))
            })
            .collect();
        let term_count = |field: &str| {
            s.taxonomies
                .iter()
                .find(|t| t.field == field)
                .and_then(|t| t.terms.get(default))
                .map_or(0, Vec::len)
        };
        let site = serde_json::json!({
            "title": s.config.title_in(lang),
            "description": s.config.description_in(lang),
            "notice": s.config.notice_in(lang),
            "base_url": s.config.base_url.absolute,
            "base_path": s.config.base_url.path_prefix,
            "home_url": u.href(&u.home(lang)),
            "releases_url": u.href(&u.releases(lang)),
            "static_url": u.href("/"),
            "feed_url": u.href(&u.feed(lang)),
            "stats_url": u.href(&u.stats(lang)),
            "search_url": search.then(|| u.href(&u.search(lang))),
            "data": {
                "json": u.href(&u.data_entries("json")),
                "csv": u.href(&u.data_entries("csv")),
                "csv_metadata": u.href(&u.csv_metadata()),
            },
            "languages": [],
            "taxonomies": nav_tax,
            "pages": nav_pages,
            "collections": s.collections.iter().filter(|_| market).map(|c| {
                let def = &s.config.collections[c.def];
                serde_json::json!({
                    "name": c.name.as_str(),
                    "label": def.label_in(lang.as_str(), default.as_str()),
                    "url": u.href(&u.collection(lang, &c.name, 1)),
                    "count": c.items.len(),
                })
            }).collect::<Vec<_>>(),
            "stats": {
                "entries": s.entries.len(),
                "releases": s.releases.len(),
                "institutions": term_count("institutions"),
                "fields": term_count("fields"),
            },
        });
        let site = TeraValue::from_serializable(&site)
            .into_map()
            .expect("the site block is a map");
        let release_list: Vec<TeraValue> = (0..s.releases.len())
            .map(|i| release(s, i, lang, false))
            .collect();
        let string = |key: &str| {
            crate::render::templates::string(strings, lang.as_str(), default.as_str(), key)
        };
        LangValues {
            market: crate::render::market::Words::new(s, lang, string),
            t: TeraValue::from_serializable(&t),
            site,
            releases: TeraValue::from(release_list.clone()),
            release: release_list,
            release_intro: (0..s.releases.len())
                .map(|i| release(s, i, lang, true))
                .collect(),
            taxonomies: (0..s.taxonomies.len())
                .map(|t| taxonomy(s, t, lang))
                .collect(),
        }
    }
}

/// Release `i`'s summary in `lang`; its introduction only `with_intro` (release pages and
/// the home page's latest release).
pub(crate) fn release(s: &Site, i: usize, lang: &Lang, with_intro: bool) -> TeraValue {
    let u = &s.urls;
    let r = &s.releases[i];
    let t = r.text.get(lang).unwrap_or(&r.text[s.default_lang()]);
    TeraValue::from_serializable(&serde_json::json!({
        "id": r.id,
        "number": r.number,
        "title": t.title,
        "summary": t.summary,
        "issuer": t.issuer,
        "date": r.date.to_string(),
        "date_display": localized_date(&r.date, lang),
        "cover": super::pictures::release_cover_path(s, r).map(|c| u.href(&c)),
        "url": u.href(&u.release(lang, &r.id)),
        "stats_url": u.href(&u.release_stats(lang, &r.id)),
        "entry_count": r.entries.len(),
        "intro_html": if with_intro { t.intro_html.as_str() } else { "" },
    }))
}

/// Taxonomy `t` in `lang` with every term, its count and URL.
fn taxonomy(s: &Site, t: usize, lang: &Lang) -> TeraValue {
    let u = &s.urls;
    let tax = &s.taxonomies[t];
    let label = s.config.schema.fields[&tax.field].label.get(
        lang.as_str(),
        s.default_lang().as_str(),
        &tax.field,
    );
    let terms: Vec<serde_json::Value> = tax
        .terms
        .get(lang)
        .into_iter()
        .flatten()
        .map(|term| {
            serde_json::json!({
                "label": term.label,
                "slug": term.slug,
                "count": term.entries.len(),
                "url": u.href(&u.term(lang, &tax.slug, &term.slug, 1)),
            })
        })
        .collect();
    TeraValue::from_serializable(&serde_json::json!({
        "name": tax.field,
        "label": label,
        "url": u.href(&u.taxonomy(lang, &tax.slug)),
        "terms": terms,
    }))
}
