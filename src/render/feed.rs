//! Atom feeds (RFC 4287) of the site's newest entries, of a release and of a taxonomy term,
//! one per language, written with `atom_syndication`. Every URL is absolute under `base_url`;
//! every timestamp comes from an entry or release date (midnight UTC), never from the clock,
//! so two builds write the same bytes. An entry that several feeds list is serialized once
//! and spliced into each (see [`SharedEntries`]). It renders the entries the plan chose; it
//! does not choose them.

use atom_syndication::{
    Category, Entry as AtomEntry, Feed, FixedDateTime, Generator, Link, Person, Text, WriteConfig,
};

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::diagnostics::{Diagnostic, Problem};
use crate::model::ids::{Lang, Slug};
use crate::model::{Site, Term};
use crate::plan::{FeedScope, FileKind, PlannedFile};
use crate::render::xml::xml_chars;

/// Midnight UTC of `d` as an Atom date. Falls back to the Unix epoch for dates Atom cannot
/// express (years before 0 or after 9999), which validation does not produce.
pub(crate) fn timestamp(d: &jiff::civil::Date) -> FixedDateTime {
    format!("{d}T00:00:00Z").parse().unwrap_or_default()
}

pub(crate) fn text(s: &str, lang: Option<&Lang>) -> Text {
    let mut t = Text::plain(xml_chars(s));
    t.lang = lang.map(Lang::to_string);
    t
}

pub(crate) fn link(href: String, rel: &str, mime: &str, hreflang: Option<&Lang>) -> Link {
    Link {
        href,
        rel: rel.to_string(),
        hreflang: hreflang.map(Lang::to_string),
        mime_type: Some(mime.to_string()),
        title: None,
        length: None,
    }
}

pub(crate) fn person(name: &str) -> Person {
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
        for t in value.text_iter() {
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
        .map(|x| x.text_iter().map(person).collect())
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

/// How feeds are written: one space of indentation per level, after an XML declaration.
pub(crate) fn write_config() -> WriteConfig {
    WriteConfig {
        write_document_declaration: true,
        indent_size: Some(1),
    }
}

/// What `atom_syndication` writes after a feed's last entry.
const FEED_END: &[u8] = b"\n</feed>";

/// The `<entry>` elements of a build's feeds, each serialized once per language when more
/// than one feed lists it. A feed is written without entries and its entries' elements
/// spliced in before `</feed>`, where `atom_syndication` writes them (entries are a feed's
/// last children); [`tests::spliced_feeds_equal_written_ones`] holds that to what the
/// library writes itself. The newest entries are in the site feed, their release's and
/// each of their terms' feeds: at 4,016 entries 19,033 feed entries are 7,882 distinct.
/// Only shared elements are kept, so a large site's release feeds (every entry, once)
/// add no memory.
pub struct SharedEntries<'p> {
    cells: HashMap<(usize, &'p Lang), OnceLock<EntryXml>>,
}

/// An `<entry>` element, or why `atom_syndication` could not write it.
type EntryXml = Result<Vec<u8>, String>;

impl<'p> SharedEntries<'p> {
    /// The entries more than one feed among `files` lists.
    pub fn new(files: &[&'p PlannedFile]) -> Self {
        let mut uses: HashMap<(usize, &'p Lang), u32> = HashMap::new();
        for f in files {
            if let FileKind::Feed { lang, entries, .. } = &f.kind {
                for &i in entries {
                    *uses.entry((i, lang)).or_default() += 1;
                }
            }
        }
        SharedEntries {
            cells: uses
                .into_iter()
                .filter(|&(_, n)| n > 1)
                .map(|(k, _)| (k, OnceLock::new()))
                .collect(),
        }
    }

    /// No sharing: every feed serializes its own entries.
    pub fn none() -> Self {
        SharedEntries {
            cells: HashMap::new(),
        }
    }
}

/// Entry `i`'s `<entry>` element in a feed in `lang`, as `atom_syndication` writes it there
/// (starting with the line break and indentation before `<entry>`).
fn entry_xml<'s>(site: &'s Site, i: usize, lang: &Lang, look: &mut Lookup<'s>) -> EntryXml {
    // What precedes the entry in a feed of nothing else.
    static BEFORE: OnceLock<EntryXml> = OnceLock::new();
    let before = BEFORE
        .get_or_init(|| {
            let mut xml = Feed::default()
                .write_with_config(Vec::new(), write_config())
                .map_err(|e| e.to_string())?;
            xml.truncate(xml.len().saturating_sub(FEED_END.len()));
            Ok(xml)
        })
        .as_ref()
        .map_err(Clone::clone)?;
    let one = Feed {
        entries: vec![entry(site, i, lang, look)],
        ..Feed::default()
    };
    let xml = one
        .write_with_config(Vec::new(), write_config())
        .map_err(|e| e.to_string())?;
    if !xml.starts_with(before) || !xml.ends_with(FEED_END) {
        return Err("atom_syndication wrote an entry where it was not expected".into());
    }
    Ok(xml[before.len()..xml.len() - FEED_END.len()].to_vec())
}

/// The Atom feed at `self_path` of `entries` (newest first), in `lang`, without its
/// entries.
fn skeleton(
    site: &Site,
    lang: &Lang,
    scope: &FeedScope,
    entries: &[usize],
    self_path: &str,
) -> Feed {
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
    Feed {
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
        lang: Some(lang.to_string()),
        ..Default::default()
    }
}

/// The Atom feed at `self_path` of `entries` (newest first), in `lang`; entries that
/// `shared` holds are serialized once for all feeds.
pub fn atom(
    site: &Site,
    lang: &Lang,
    scope: &FeedScope,
    entries: &[usize],
    self_path: &str,
    shared: &SharedEntries<'_>,
) -> Result<Vec<u8>, Diagnostic> {
    let feed = skeleton(site, lang, scope, entries, self_path);
    let failed = |message: String| {
        Diagnostic::error(Problem::OutputWrite {
            path: self_path.trim_start_matches('/').into(),
            message: format!("writing the Atom feed: {message}"),
        })
    };
    let mut out = feed
        .write_with_config(Vec::new(), write_config())
        .map_err(|e| failed(e.to_string()))?;
    if !out.ends_with(FEED_END) {
        return Err(failed("atom_syndication ended a feed unexpectedly".into()));
    }
    out.truncate(out.len() - FEED_END.len());
    let mut look = Lookup::new(site, lang);
    for &i in entries {
        match shared.cells.get(&(i, lang)) {
            Some(cell) => {
                let xml = cell.get_or_init(|| entry_xml(site, i, lang, &mut look));
                out.extend_from_slice(xml.as_ref().map_err(|e| failed(e.clone()))?);
            }
            None => out.extend(entry_xml(site, i, lang, &mut look).map_err(failed)?),
        }
    }
    out.extend_from_slice(FEED_END);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every feed of the sample site, spliced (with and without shared entries), is the
    /// feed `atom_syndication` writes with its entries; so is a feed of no entries.
    #[test]
    fn spliced_feeds_equal_written_ones() {
        let loaded = crate::sample_site();
        let site = &loaded.site;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (plan, diags) = crate::plan::plan(site, root);
        assert!(diags.is_empty());
        let files: Vec<&PlannedFile> = plan.files.iter().collect();
        let shared = SharedEntries::new(&files);
        assert!(
            !shared.cells.is_empty(),
            "the sample site's feeds share entries"
        );
        let mut feeds = 0;
        for f in &files {
            let FileKind::Feed {
                lang,
                scope,
                entries,
            } = &f.kind
            else {
                continue;
            };
            let path = &f.site_path;
            let mut feed = skeleton(site, lang, scope, entries, path);
            let mut look = Lookup::new(site, lang);
            feed.entries = entries
                .iter()
                .map(|&i| entry(site, i, lang, &mut look))
                .collect();
            let written = feed.write_with_config(Vec::new(), write_config()).unwrap();
            for sharing in [&shared, &SharedEntries::none()] {
                let spliced = atom(site, lang, scope, entries, path, sharing).unwrap();
                assert_eq!(
                    String::from_utf8(spliced).unwrap(),
                    String::from_utf8(written.clone()).unwrap(),
                    "{path}"
                );
            }
            let empty = skeleton(site, lang, scope, &[], path)
                .write_with_config(Vec::new(), write_config())
                .unwrap();
            let spliced = atom(site, lang, scope, &[], path, &shared).unwrap();
            assert_eq!(spliced, empty, "{path} without entries");
            feeds += 1;
        }
        assert!(feeds > 10, "{feeds} feeds");
    }
}
