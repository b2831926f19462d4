//! Where every page lives. One place decides URL shapes, so links and output paths agree.
//! Site paths start with `/` and exclude the base URL's path prefix.

use crate::config::BaseUrl;
use crate::model::ids::{Lang, ReleaseId, Slug};

/// Builds site paths, hrefs (with the base path prefix) and permalinks (absolute).
#[derive(Debug, Clone)]
pub struct Urls {
    pub base: BaseUrl,
    pub default_lang: Lang,
}

impl Urls {
    pub fn lang_prefix(&self, lang: &Lang) -> String {
        if *lang == self.default_lang {
            String::new()
        } else {
            format!("/{lang}")
        }
    }

    pub fn home(&self, lang: &Lang) -> String {
        format!("{}/", self.lang_prefix(lang))
    }

    pub fn releases(&self, lang: &Lang) -> String {
        format!("{}/releases/", self.lang_prefix(lang))
    }

    pub fn release(&self, lang: &Lang, id: &ReleaseId) -> String {
        format!("{}/releases/{id}/", self.lang_prefix(lang))
    }

    pub fn entry(&self, lang: &Lang, release: &ReleaseId, slug: &Slug) -> String {
        format!("{}/releases/{release}/{slug}/", self.lang_prefix(lang))
    }

    pub fn taxonomy(&self, lang: &Lang, tax: &Slug) -> String {
        format!("{}/{tax}/", self.lang_prefix(lang))
    }

    /// A term's page; page 1 is the term's own URL.
    pub fn term(&self, lang: &Lang, tax: &Slug, term: &Slug, page: usize) -> String {
        if page <= 1 {
            format!("{}/{tax}/{term}/", self.lang_prefix(lang))
        } else {
            format!("{}/{tax}/{term}/page/{page}/", self.lang_prefix(lang))
        }
    }

    /// A collection's list of items; page 1 is the collection's own URL.
    pub fn collection(&self, lang: &Lang, name: &Slug, page: usize) -> String {
        if page <= 1 {
            format!("{}/{name}/", self.lang_prefix(lang))
        } else {
            format!("{}/{name}/page/{page}/", self.lang_prefix(lang))
        }
    }

    /// The terms of a collection's taxonomy.
    pub fn collection_taxonomy(&self, lang: &Lang, name: &Slug, tax: &Slug) -> String {
        format!("{}/{name}/{tax}/", self.lang_prefix(lang))
    }

    /// The items under a term of a collection's taxonomy; page 1 is the term's own URL.
    pub fn collection_term(
        &self,
        lang: &Lang,
        name: &Slug,
        tax: &Slug,
        term: &Slug,
        page: usize,
    ) -> String {
        if page <= 1 {
            format!("{}/{name}/{tax}/{term}/", self.lang_prefix(lang))
        } else {
            format!(
                "{}/{name}/{tax}/{term}/page/{page}/",
                self.lang_prefix(lang)
            )
        }
    }

    /// The statistics page of a collection.
    pub fn collection_stats(&self, lang: &Lang, name: &Slug) -> String {
        format!("{}/{name}/stats/", self.lang_prefix(lang))
    }

    /// The Atom feed of a collection's newest items.
    pub fn collection_feed(&self, lang: &Lang, name: &Slug) -> String {
        format!("{}/{name}/feed.xml", self.lang_prefix(lang))
    }

    /// An item of a collection.
    pub fn item(&self, lang: &Lang, collection: &Slug, slug: &Slug) -> String {
        format!("{}/{collection}/{slug}/", self.lang_prefix(lang))
    }

    pub fn page(&self, lang: &Lang, slug: &Slug) -> String {
        format!("{}/{slug}/", self.lang_prefix(lang))
    }

    /// The statistics page of the whole site.
    pub fn stats(&self, lang: &Lang) -> String {
        format!("{}/stats/", self.lang_prefix(lang))
    }

    /// The statistics page of one release.
    pub fn release_stats(&self, lang: &Lang, id: &ReleaseId) -> String {
        format!("{}/releases/{id}/stats/", self.lang_prefix(lang))
    }

    pub fn not_found(&self, lang: &Lang) -> String {
        format!("{}/404.html", self.lang_prefix(lang))
    }

    /// The Atom feed of the latest entries in `lang`.
    pub fn feed(&self, lang: &Lang) -> String {
        format!("{}/feed.xml", self.lang_prefix(lang))
    }

    pub fn release_feed(&self, lang: &Lang, id: &ReleaseId) -> String {
        format!("{}/releases/{id}/feed.xml", self.lang_prefix(lang))
    }

    pub fn term_feed(&self, lang: &Lang, tax: &Slug, term: &Slug) -> String {
        format!("{}/{tax}/{term}/feed.xml", self.lang_prefix(lang))
    }

    /// The sitemap, or the sitemap index when the site needs several sitemaps.
    pub fn sitemap(&self) -> String {
        "/sitemap.xml".to_string()
    }

    /// Part `n` (1-based) of a sitemap split in several files. Parts live at the site root:
    /// a sitemap may only list URLs at or below its own folder.
    pub fn sitemap_part(&self, n: usize) -> String {
        format!("/sitemap-{n}.xml")
    }

    pub fn robots(&self) -> String {
        "/robots.txt".to_string()
    }

    /// Open data of a collection's public items.
    pub fn data_collection(&self, name: &Slug) -> String {
        format!("/data/{name}.json")
    }

    /// A collection's public items as CSV.
    pub fn data_collection_csv(&self, name: &Slug) -> String {
        format!("/data/{name}.csv")
    }

    /// The CSVW metadata of a collection's CSV.
    pub fn data_collection_csv_metadata(&self, name: &Slug) -> String {
        format!("/data/{name}.csv-metadata.json")
    }

    /// Every match of the site, as open data.
    pub fn data_matches(&self) -> String {
        "/data/matches.json".into()
    }

    /// Open data of every public entry: `ext` is `json` or `csv`.
    pub fn data_entries(&self, ext: &str) -> String {
        format!("/data/entries.{ext}")
    }

    /// Open data of one release: `ext` is `json` or `csv`.
    pub fn data_release(&self, id: &ReleaseId, ext: &str) -> String {
        format!("/data/releases/{id}.{ext}")
    }

    /// The CSVW metadata describing every open-data CSV file.
    pub fn csv_metadata(&self) -> String {
        "/data/entries.csv-metadata.json".to_string()
    }

    /// The search page.
    pub fn search(&self, lang: &Lang) -> String {
        format!("{}/search/", self.lang_prefix(lang))
    }

    /// A file of the search index in `lang`'s search folder (`meta.json`, `index/0.json`).
    pub fn search_data(&self, lang: &Lang, name: &str) -> String {
        format!("{}/search/{name}", self.lang_prefix(lang))
    }

    /// A content asset (path relative to `content/`), percent-encoded for use in a URL.
    pub fn asset(&self, rel: &str) -> String {
        let mut out = String::with_capacity(rel.len() + 1);
        out.push('/');
        for b in rel.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                    out.push(b as char)
                }
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }

    /// The href to put in a page: the site path under the base URL's path prefix.
    pub fn href(&self, site_path: &str) -> String {
        format!("{}{site_path}", self.base.path_prefix)
    }

    /// The absolute URL.
    pub fn permalink(&self, site_path: &str) -> String {
        format!("{}{site_path}", self.base.absolute)
    }
}

/// The output file for a site path: `/a/` → `a/index.html`, `/404.html` → `404.html`.
pub fn output_file(site_path: &str) -> String {
    let p = site_path.trim_start_matches('/');
    if p.is_empty() || p.ends_with('/') {
        format!("{p}index.html")
    } else {
        p.to_string()
    }
}

/// Resolve `target`, written in a file inside the content folder `from_dir` (relative to
/// `content/`, `/`-separated), to a path relative to `content/`. `None` if it climbs out.
pub fn resolve_content_path(from_dir: &str, target: &str) -> Option<String> {
    // The path is built in one string, each `..` cutting its last part off (this runs for
    // every cover of every entry on every build: a vector of parts joined was two more
    // allocations each time).
    let mut path = String::with_capacity(from_dir.len() + target.len() + 1);
    let push = |path: &mut String, part: &str| {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(part);
    };
    if !target.starts_with('/') {
        for part in from_dir.split('/').filter(|p| !p.is_empty()) {
            push(&mut path, part);
        }
    }
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." if path.is_empty() => return None,
            ".." => path.truncate(path.rfind('/').unwrap_or(0)),
            s if s.contains('\\') => return None,
            s => push(&mut path, s),
        }
    }
    (!path.is_empty()).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_paths_resolve_and_never_escape() {
        let cases = [
            (
                "releases/2024-03",
                "mma/flow.svg",
                Some("releases/2024-03/mma/flow.svg"),
            ),
            (
                "releases/2024-03",
                "../shared.png",
                Some("releases/shared.png"),
            ),
            ("releases/x", "../../../etc/passwd", None),
            ("", "a/b.svg", Some("a/b.svg")),
            ("releases/x", "./a//b.svg", Some("releases/x/a/b.svg")),
            ("releases/x", "a\\b.svg", None),
            ("releases/x", "/a.svg", Some("a.svg")),
        ];
        for (from_dir, target, expected) in cases {
            let resolved = resolve_content_path(from_dir, target);
            assert_eq!(resolved.as_deref(), expected, "{target} from {from_dir}");
        }
        assert_eq!(output_file("/"), "index.html");
        assert_eq!(output_file("/en/releases/"), "en/releases/index.html");
        assert_eq!(output_file("/404.html"), "404.html");
    }
}
