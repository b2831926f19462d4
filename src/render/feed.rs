//! Atom feeds (RFC 4287) of the site's newest entries, of a release and of a taxonomy term,
//! one per language, written with `atom_syndication`. Every URL is absolute under `base_url`;
//! every timestamp comes from an entry or release date (midnight UTC), never from the clock,
//! so two builds write the same bytes. It renders the entries the plan chose; it does not
//! choose them.

use atom_syndication::{
    Category, Entry as AtomEntry, Feed, FixedDateTime, Generator, Link, Person, Text, WriteConfig,
};

use crate::diagnostics::{Diagnostic, Problem};
use std::collections::HashMap;

use crate::model::ids::{Lang, Slug};
use crate::model::{Site, Term};
use crate::plan::FeedScope;
use crate::render::xml::xml_chars;

/// Midnight UTC of `d` as an Atom date. Falls back to the Unix epoch for dates Atom cannot
/// express (years before 0 or after 9999), which validation does not produce.
fn timestamp(d: &jiff::civil::Date) -> FixedDateTime {
    format!("{d}T00:00:00Z").parse().unwrap_or_default()
}

fn text(s: &str, lang: Option<&Lang>) -> Text {
    let mut t = Text::plain(xml_chars(s));
    t.lang = lang.map(Lang::to_string);
    t
}

fn link(href: String, rel: &str, mime: &str, hreflang: Option<&Lang>) -> Link {
    Link {
        href,
        rel: rel.to_string(),
        hreflang: hreflang.map(Lang::to_string),
        mime_type: Some(mime.to_string()),
        title: None,
        length: None,
    }
}

fn person(name: &str) -> Person {
    Person {
        name: xml_chars(name),
        email: None,
        uri: None,
        extensions: Default::default(),
    }
}

/// The feed's HTML page (site path), title and subtitle.
fn describe(site: &Site, lang: &Lang, scope: &FeedScope) -> (String, String, Option<String>) {
    let u = &site.urls;
    let default = site.default_lang();
    let site_title = site.config.title_in(lang);
    match scope {
        FeedScope::Site => {
            let d = site.config.description_in(lang);
            (
                u.home(lang),
                site_title.to_string(),
                (!d.is_empty()).then(|| d.to_string()),
            )
        }
        FeedScope::Release(i) => {
            let r = &site.releases[*i];
            let t = r.text.get(lang).unwrap_or(&r.text[default]);
            (
                u.release(lang, &r.id),
                format!("{} · {site_title}", t.title),
                t.summary.clone(),
            )
        }
        FeedScope::Term { taxonomy, term } => {
            let tax = &site.taxonomies[*taxonomy];
            let t = &tax.terms[lang][*term];
            let label = site.config.schema.fields[&tax.field].label.get(
                lang.as_str(),
                default.as_str(),
                &tax.field,
            );
            (
                u.term(lang, &tax.slug, &t.slug, 1),
                format!("{} · {label} · {site_title}", t.label),
                None,
            )
        }
    }
}

/// What every entry of one feed looks up the same way: each taxonomy's category scheme, and
/// the term of each taxonomy value met so far (finding it slugifies the value, pinyin and
/// all, and a feed's entries share most of their values).
struct Lookup<'s> {
    schemes: Vec<String>,
    terms: HashMap<(usize, &'s str), Option<&'s Term>>,
}

impl<'s> Lookup<'s> {
    fn new(site: &'s Site, lang: &Lang) -> Self {
        let u = &site.urls;
        Lookup {
            schemes: site
                .taxonomies
                .iter()
                .map(|tax| u.permalink(&u.taxonomy(lang, &tax.slug)))
                .collect(),
            terms: HashMap::new(),
        }
    }
}

/// One entry of a feed in `lang`: the translation if there is one, else the original.
fn entry<'s>(site: &'s Site, i: usize, lang: &Lang, look: &mut Lookup<'s>) -> AtomEntry {
    let u = &site.urls;
    let default = site.default_lang();
    let e = &site.entries[i];
    let shown = if e.versions.contains_key(lang) {
        lang
    } else {
        default
    };
    // Mark the text's language where it differs from the feed's.
    let other = (shown != lang).then_some(shown);
    let v = e.version(lang, default);
    let permalink = u.permalink(&u.entry(shown, &e.release, &e.slug));
    let mut categories = Vec::new();
    for (n, tax) in site.taxonomies.iter().enumerate() {
        let Some(value) = v.values.get(&tax.field) else {
            continue;
        };
        for t in value.texts() {
            let found = *look
                .terms
                .entry((n, t))
                .or_insert_with(|| Slug::from_text(t).and_then(|s| tax.term(lang, s.as_str())));
            let Some(term) = found else {
                continue;
            };
            categories.push(Category {
                term: term.slug.to_string(),
                scheme: Some(look.schemes[n].clone()),
                label: Some(xml_chars(&term.label)),
            });
        }
    }
    let authors = v
        .values
        .get("institutions")
        .map(|x| x.texts().into_iter().map(person).collect())
        .unwrap_or_default();
    let date = timestamp(&e.date);
    AtomEntry {
        title: text(&v.title, other),
        id: permalink.clone(),
        updated: date,
        published: Some(date),
        authors,
        categories,
        links: vec![link(permalink, "alternate", "text/html", Some(shown))],
        summary: v.summary.as_deref().map(|s| text(s, other)),
        ..Default::default()
    }
}

/// The Atom feed at `self_path` of `entries` (newest first), in `lang`.
pub fn atom(
    site: &Site,
    lang: &Lang,
    scope: &FeedScope,
    entries: &[usize],
    self_path: &str,
) -> Result<Vec<u8>, Diagnostic> {
    let u = &site.urls;
    let (page, title, subtitle) = describe(site, lang, scope);
    let newest_release = site.releases.iter().map(|r| r.date).max();
    // The newest entry's date; an empty feed takes its release's date, or the newest release's.
    let updated = entries
        .iter()
        .map(|&i| site.entries[i].date)
        .max()
        .or(match scope {
            FeedScope::Release(i) => Some(site.releases[*i].date),
            _ => newest_release,
        })
        .map(|d| timestamp(&d))
        .unwrap_or_default();
    let author = match scope {
        FeedScope::Release(i) => {
            let r = &site.releases[*i];
            r.text
                .get(lang)
                .unwrap_or(&r.text[site.default_lang()])
                .issuer
                .clone()
        }
        _ => None,
    }
    .unwrap_or_else(|| site.config.title_in(lang).to_string());
    let feed = Feed {
        title: text(&title, None),
        id: u.permalink(self_path),
        updated,
        // RFC 4287 §4.1.1: a feed author stands for every entry that names none.
        authors: vec![person(&author)],
        generator: Some(Generator {
            value: "Gazette".into(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        links: vec![
            link(u.permalink(self_path), "self", "application/atom+xml", None),
            link(u.permalink(&page), "alternate", "text/html", Some(lang)),
        ],
        subtitle: subtitle.as_deref().map(|s| text(s, None)),
        entries: {
            let mut look = Lookup::new(site, lang);
            entries
                .iter()
                .map(|&i| entry(site, i, lang, &mut look))
                .collect()
        },
        lang: Some(lang.to_string()),
        ..Default::default()
    };
    let config = WriteConfig {
        write_document_declaration: true,
        indent_size: Some(1),
    };
    feed.write_with_config(Vec::new(), config).map_err(|e| {
        Diagnostic::error(Problem::OutputWrite {
            path: self_path.trim_start_matches('/').into(),
            message: format!("writing the Atom feed: {e}"),
        })
    })
}
