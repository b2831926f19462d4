//! The Atom feed of a collection (`/<collection>/feed.xml`, per language): its newest public
//! items, closed ones included and marked, with the same conventions as the entries' feeds
//! (absolute URLs, dates at midnight UTC from the items, never the clock). It renders the
//! items the model holds; which feeds exist is the plan's.

use atom_syndication::{Category, Entry as AtomEntry, Feed, Generator};

use crate::diagnostics::{Diagnostic, Problem};
use crate::model::Site;
use crate::model::ids::Lang;
use crate::render::feed::{link, person, text, timestamp, write_config};

/// How many items a collection's feed carries (the newest).
pub const FEED_ITEMS: usize = 50;

/// The public items of collection `c` a feed lists: newest first (the collection's order),
/// dated ones only, at most [`FEED_ITEMS`].
pub fn items(site: &Site, c: usize) -> Vec<usize> {
    let col = &site.collections[c];
    (0..col.items.len())
        .filter(|&i| col.items[i].hold.is_none() && col.items[i].date.is_some())
        .take(FEED_ITEMS)
        .collect()
}

/// The feed of collection `c` in `lang`, at `self_path`.
pub fn atom(site: &Site, c: usize, lang: &Lang, self_path: &str) -> Result<Vec<u8>, Diagnostic> {
    let u = &site.urls;
    let default = site.default_lang();
    let col = &site.collections[c];
    let def = &site.config.collections[col.def];
    let label = def.label_in(lang.as_str(), default.as_str());
    let site_title = site.config.title_in(lang);
    let closed_word = if lang.as_str().starts_with("zh") {
        "已截止"
    } else {
        "closed"
    };
    let list = items(site, c);
    let entries: Vec<AtomEntry> = list
        .iter()
        .map(|&i| {
            let it = &col.items[i];
            let shown = if it.versions.contains_key(lang) {
                lang
            } else {
                default
            };
            let other = (shown != lang).then_some(shown);
            let v = it.version(lang, default);
            let permalink = u.permalink(&u.item(shown, &col.name, &it.slug));
            let date = timestamp(&it.date.expect("feeds list dated items"));
            AtomEntry {
                title: text(&v.title, other),
                id: permalink.clone(),
                updated: date,
                published: Some(date),
                categories: it
                    .closed
                    .then(|| Category {
                        term: "closed".into(),
                        scheme: None,
                        label: Some(closed_word.into()),
                    })
                    .into_iter()
                    .collect(),
                links: vec![link(permalink, "alternate", "text/html", Some(shown))],
                summary: v.summary.as_deref().map(|s| text(s, other)),
                ..Default::default()
            }
        })
        .collect();
    let updated = list
        .iter()
        .filter_map(|&i| col.items[i].date)
        .max()
        .or_else(|| site.releases.iter().map(|r| r.date).max())
        .map(|d| timestamp(&d))
        .unwrap_or_default();
    let feed = Feed {
        title: text(&format!("{label} · {site_title}"), None),
        id: u.permalink(self_path),
        updated,
        authors: vec![person(site_title)],
        generator: Some(Generator {
            value: "Gazette".into(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        links: vec![
            link(u.permalink(self_path), "self", "application/atom+xml", None),
            link(
                u.permalink(&u.collection(lang, &col.name, 1)),
                "alternate",
                "text/html",
                Some(lang),
            ),
        ],
        lang: Some(lang.to_string()),
        entries,
        ..Default::default()
    };
    feed.write_with_config(Vec::new(), write_config())
        .map_err(|e| {
            Diagnostic::error(Problem::OutputWrite {
                path: self_path.trim_start_matches('/').into(),
                message: format!("writing the Atom feed: {e}"),
            })
        })
}
