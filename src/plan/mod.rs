//! Plan: turn the model into the list of outputs a build produces (every HTML page with its
//! language, URL and template; every generated file such as feeds, sitemaps and open data,
//! with the entries it covers, see [`files`]; every file to copy). Two outputs wanting one
//! path is an error found here. It decides *what* is written, never *how* (that is `render`
//! and `sink`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

mod files;
mod reorder;

pub(crate) use files::{is_public, newest};

use crate::diagnostics::{Diagnostic, Problem};
use crate::load::discover::is_ignored_name;
use crate::model::Site;
use crate::model::ids::Lang;
use crate::model::urls::output_file;

/// What a page shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PageKind {
    Home,
    ReleaseIndex,
    Release(usize),
    Entry(usize),
    TaxonomyIndex(usize),
    /// Page `page` (1-based) of `pages` of a term's entry list.
    Term {
        taxonomy: usize,
        term: usize,
        page: usize,
        pages: usize,
    },
    Page(usize),
    NotFound,
    /// The statistics page of the whole site.
    Stats,
    /// The statistics page of a release.
    ReleaseStats(usize),
    /// The search page (see `crate::search`).
    Search,
    /// Page `page` (1-based) of `pages` of a collection's list of items.
    Collection {
        collection: usize,
        page: usize,
        pages: usize,
    },
    /// An item of a collection.
    Item {
        collection: usize,
        item: usize,
    },
    /// The terms of a collection's taxonomy (an index into `Collection::taxonomies`).
    CollectionTaxonomy {
        collection: usize,
        taxonomy: usize,
    },
    /// Page `page` (1-based) of `pages` of the items under a term of a collection's taxonomy.
    CollectionTerm {
        collection: usize,
        taxonomy: usize,
        term: usize,
        page: usize,
        pages: usize,
    },
    /// The statistics page of a collection.
    CollectionStats(usize),
}

impl PageKind {
    /// The template that renders this kind of page.
    pub fn template(&self) -> &'static str {
        match self {
            PageKind::Home => "home.html",
            PageKind::ReleaseIndex => "releases.html",
            PageKind::Release(_) => "release.html",
            PageKind::Entry(_) => "entry.html",
            PageKind::TaxonomyIndex(_) => "taxonomy.html",
            PageKind::Term { .. } => "term.html",
            PageKind::Page(_) => "page.html",
            PageKind::NotFound => "404.html",
            PageKind::Stats | PageKind::ReleaseStats(_) | PageKind::CollectionStats(_) => {
                "stats.html"
            }
            PageKind::Search => "search.html",
            // A term's items are a collection's list, narrowed.
            PageKind::Collection { .. } | PageKind::CollectionTerm { .. } => "collection.html",
            PageKind::Item { .. } => "item.html",
            PageKind::CollectionTaxonomy { .. } => "taxonomy.html",
        }
    }
}

/// One HTML page to render.
#[derive(Debug, Clone)]
pub struct PlannedPage {
    pub lang: Lang,
    /// Site path, e.g. `/en/releases/2024-03/`.
    pub site_path: String,
    pub kind: PageKind,
}

/// One file to copy as it is.
#[derive(Debug, Clone)]
pub struct Copy {
    /// Source path relative to the site root.
    pub from: PathBuf,
    /// Destination relative to the output folder.
    pub to: String,
    /// The source's size and hash when known without reading it (an image cache file,
    /// which never changes): the sink then reads it only to write it.
    pub sum: Option<crate::images::Sum>,
}

/// The most URLs one sitemap file may list (sitemaps.org protocol); past it the site gets a
/// sitemap index.
pub const SITEMAP_MAX_URLS: usize = 50_000;

/// How many entries the site-wide and per-term feeds carry (the newest ones).
pub const FEED_ENTRIES: usize = 50;

/// Limits that shape the plan. Builds use [`Limits::default`]; tests lower them to exercise
/// the split into several sitemaps without 50,000 pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub sitemap_urls: usize,
    pub feed_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sitemap_urls: SITEMAP_MAX_URLS,
            feed_entries: FEED_ENTRIES,
        }
    }
}

/// What a feed follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedScope {
    /// The newest entries of the whole site.
    Site,
    Release(usize),
    /// A term (index into the taxonomy's terms in the feed's language).
    Term {
        taxonomy: usize,
        term: usize,
    },
}

/// Which entries an open-data file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataScope {
    Site,
    Release(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    Json,
    Csv,
}

/// A generated file that is not an HTML page. Entry lists hold only public entries (never a
/// draft or an embargoed entry, even in a `--drafts` build), in the order they are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// An Atom feed in `lang` of `entries` (indexes into `Site::entries`), newest first.
    Feed {
        lang: Lang,
        scope: FeedScope,
        entries: Vec<usize>,
    },
    /// A sitemap listing `pages` (indexes into `Plan::pages`).
    Sitemap { pages: Vec<usize> },
    /// A sitemap index listing the sitemaps at these site paths.
    SitemapIndex { parts: Vec<String> },
    /// `robots.txt`, pointing to the sitemap at this site path.
    Robots { sitemap: String },
    /// Open data: `entries` (indexes into `Site::entries`, site order) in `format`.
    Data {
        scope: DataScope,
        format: DataFormat,
        entries: Vec<usize>,
    },
    /// CSVW metadata describing the CSV files at these site paths, which share one schema.
    CsvMetadata { tables: Vec<String> },
    /// A file of the search index over `Plan::search`'s entries, or the search client.
    Search(crate::search::SearchFile),
    /// Open data of the marketplace: a collection's public items, or every match.
    Market(MarketFile),
}

/// Which file of the marketplace: open data (see `render::data_market`) or a collection's
/// feed (`render::market_feed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarketFile {
    Collection(usize),
    /// A collection's public items as CSV (`render::data`, like the results').
    Csv(usize),
    /// The CSVW metadata of a collection's CSV.
    CsvMetadata(usize),
    Matches,
    Feed {
        collection: usize,
        lang: Lang,
    },
}

/// One generated file to render.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    /// Site path, e.g. `/en/feed.xml`.
    pub site_path: String,
    pub kind: FileKind,
}

/// Every output of a build.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub pages: Vec<PlannedPage>,
    /// The output file of each page (`urls::output_file` of its site path), in the order of
    /// `pages`: made once here for the collision check and kept, as the sink, the page
    /// signatures and the page records all name pages by it (five `format!`s per page at
    /// 100,000 entries, most of a second of CPU, before).
    pub page_files: Vec<String>,
    /// Feeds, sitemaps, robots.txt, open data and the search index.
    pub files: Vec<PlannedFile>,
    pub copies: Vec<Copy>,
    /// The entries the search index covers (public ones only), and the index once built.
    pub search: crate::search::SearchPlan,
}

fn static_files(root: &Path, dir: &Path) -> Vec<(PathBuf, String)> {
    let full = root.join(dir);
    if !full.is_dir() {
        return Vec::new();
    }
    WalkDir::new(&full)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_ignored_name(&e.file_name().to_string_lossy()))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(&full).ok()?;
            let to = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            Some((dir.join(rel), to))
        })
        .collect()
}

/// Whether the site's templates (or its theme's) can render the collections' pages: a theme
/// made before collections existed has no `item.html`, and then they get no pages.
pub fn collection_pages(root: &Path, theme: &str) -> bool {
    ["templates", &format!("themes/{theme}/templates")]
        .iter()
        .any(|dir| root.join(dir).join("item.html").is_file())
}

/// Plan every page, generated file and copy for `site` (found at `root`).
pub fn plan(site: &Site, root: &Path) -> (Plan, Vec<Diagnostic>) {
    plan_with(site, root, Limits::default())
}

/// Each output of `outputs` that an earlier one already is, with the first that is, in
/// order. Found by sorting the paths' keys on every core and comparing the paths of equal
/// keys only (looking half a million paths up in a map, at 100,000 entries, was a serial
/// tenth of the plan).
fn collisions(outputs: &[String]) -> Vec<(usize, usize)> {
    let mut keys: Vec<(crate::sink::PathKey, usize)> = (outputs.par_iter().enumerate())
        .map(|(i, f)| (crate::sink::PathKey::of(f), i))
        .collect();
    keys.par_sort_unstable();
    let mut found = Vec::new();
    for same in keys.chunk_by(|a, b| a.0 == b.0).filter(|s| s.len() > 1) {
        // In index order (sorted by key, then index): each is compared with the first of
        // those before it that has the same path.
        for (k, &(_, i)) in same.iter().enumerate().skip(1) {
            let first = same[..k].iter().map(|&(_, j)| j);
            if let Some(first) = first.into_iter().find(|&j| outputs[j] == outputs[i]) {
                found.push((i, first));
            }
        }
    }
    found.sort_unstable();
    found
}

/// [`plan`] with explicit limits.
pub fn plan_with(site: &Site, root: &Path, limits: Limits) -> (Plan, Vec<Diagnostic>) {
    let urls = &site.urls;
    let default = site.default_lang();
    let paginate = site.config.paginate_by;
    // Statistics pages need a template an older theme may not have; without it, none.
    let stats = [
        "templates",
        &format!("themes/{}/templates", site.config.theme),
    ]
    .iter()
    .any(|dir| root.join(dir).join("stats.html").is_file());
    let search = crate::search::enabled(root, &site.config.theme);
    // Likewise the collections' pages (demands, pilot bases…).
    let collections = collection_pages(root, &site.config.theme);
    // Entry pages' paths, made in parallel (one string per entry and language).
    let entry_paths: Vec<Vec<(String, usize)>> = site
        .config
        .languages
        .iter()
        .map(|lang| {
            (site.entries.par_iter().enumerate())
                .filter(|(_, e)| e.versions.contains_key(lang))
                .map(|(i, e)| (urls.entry(lang, &e.release, &e.slug), i))
                .collect()
        })
        .collect();
    // Sized for the entries' pages at least (220,000 at 100,000 entries, moved again at
    // every doubling otherwise).
    let mut pages = Vec::with_capacity(entry_paths.iter().map(Vec::len).sum::<usize>() + 64);
    let mut add = |lang: &Lang, site_path: String, kind: PageKind| {
        pages.push(PlannedPage {
            lang: lang.clone(),
            site_path,
            kind,
        })
    };
    for (lang, entry_paths) in site.config.languages.iter().zip(entry_paths) {
        add(lang, urls.home(lang), PageKind::Home);
        add(lang, urls.releases(lang), PageKind::ReleaseIndex);
        if stats {
            add(lang, urls.stats(lang), PageKind::Stats);
        }
        for (i, r) in site.releases.iter().enumerate() {
            add(lang, urls.release(lang, &r.id), PageKind::Release(i));
            if stats {
                add(
                    lang,
                    urls.release_stats(lang, &r.id),
                    PageKind::ReleaseStats(i),
                );
            }
        }
        for (site_path, i) in entry_paths {
            add(lang, site_path, PageKind::Entry(i));
        }
        for (ti, t) in site.taxonomies.iter().enumerate() {
            add(
                lang,
                urls.taxonomy(lang, &t.slug),
                PageKind::TaxonomyIndex(ti),
            );
            for (term_i, term) in t.terms.get(lang).into_iter().flatten().enumerate() {
                let n = term.entries.len().div_ceil(paginate).max(1);
                for page in 1..=n {
                    add(
                        lang,
                        urls.term(lang, &t.slug, &term.slug, page),
                        PageKind::Term {
                            taxonomy: ti,
                            term: term_i,
                            page,
                            pages: n,
                        },
                    );
                }
            }
        }
        for (i, p) in site.pages.iter().enumerate() {
            if p.versions.contains_key(lang) {
                add(lang, urls.page(lang, &p.slug), PageKind::Page(i));
            }
        }
        for (c, col) in site.collections.iter().enumerate().filter(|_| collections) {
            let n = col.items.len().div_ceil(paginate).max(1);
            for page in 1..=n {
                add(
                    lang,
                    urls.collection(lang, &col.name, page),
                    PageKind::Collection {
                        collection: c,
                        page,
                        pages: n,
                    },
                );
            }
            for (i, item) in col.items.iter().enumerate() {
                if item.versions.contains_key(lang) {
                    add(
                        lang,
                        urls.item(lang, &col.name, &item.slug),
                        PageKind::Item {
                            collection: c,
                            item: i,
                        },
                    );
                }
            }
            for (ti, t) in col.taxonomies.iter().enumerate() {
                add(
                    lang,
                    urls.collection_taxonomy(lang, &col.name, &t.slug),
                    PageKind::CollectionTaxonomy {
                        collection: c,
                        taxonomy: ti,
                    },
                );
                for (term_i, term) in t.terms.get(lang).into_iter().flatten().enumerate() {
                    let n = term.entries.len().div_ceil(paginate).max(1);
                    for page in 1..=n {
                        add(
                            lang,
                            urls.collection_term(lang, &col.name, &t.slug, &term.slug, page),
                            PageKind::CollectionTerm {
                                collection: c,
                                taxonomy: ti,
                                term: term_i,
                                page,
                                pages: n,
                            },
                        );
                    }
                }
            }
            if stats {
                add(
                    lang,
                    urls.collection_stats(lang, &col.name),
                    PageKind::CollectionStats(c),
                );
            }
        }
        if search {
            add(lang, urls.search(lang), PageKind::Search);
        }
        add(lang, urls.not_found(lang), PageKind::NotFound);
    }
    // The generated files, the search files and the copies, side by side (each walks every
    // entry or asset of the site, serially: at 100,000 entries, one after the other, they left
    // a core idle for a good part of the plan).
    let search_plan = || {
        if !search {
            return Default::default();
        }
        // The search index covers the public entries, like feeds and open data.
        let public = (0..site.entries.len()).filter(|&i| is_public(site, i));
        // Items are found only where they have pages.
        let items = (site.collections.iter().enumerate())
            .filter(|_| collections)
            .flat_map(|(c, col)| {
                (col.items.iter().enumerate())
                    .filter(|(_, it)| it.hold.is_none())
                    .map(move |(i, _)| (c, i))
            })
            .collect();
        crate::search::plan(site, public.collect(), items)
    };
    let copies = || {
        let mut copies = Vec::new();
        let theme_static = PathBuf::from("themes")
            .join(&site.config.theme)
            .join("static");
        let mut static_map: HashMap<String, PathBuf> = HashMap::new();
        for (from, to) in static_files(root, &theme_static) {
            static_map.insert(to, from);
        }
        for (from, to) in static_files(root, Path::new("static")) {
            static_map.insert(to, from);
        }
        let mut statics: Vec<(String, PathBuf)> = static_map.into_iter().collect();
        statics.sort();
        for (to, from) in statics {
            copies.push(Copy {
                from,
                to,
                sum: None,
            });
        }
        // On every core, in the assets' order (a 100,000-entry site has 100,000 files, and
        // looking each up was 35 ms of a rebuild on one core).
        copies.par_extend((site.assets.par_iter()).flat_map_iter(|a| {
            use rayon::iter::Either;
            match site.images.get(&a.rel) {
                // A raster file is published as its thumbnails (from the image cache), never
                // as it is: it may carry GPS positions and other metadata.
                Some(Ok(set)) => Either::Left(set.variants.iter().map(|v| Copy {
                    from: v.file.clone(),
                    to: v.out.clone(),
                    sum: Some(v.sum),
                })),
                // Not processed: an error where it is used, not published either way.
                Some(Err(_)) => Either::Right(None.into_iter()),
                // An SVG file is compared as the build checked it; other files are read.
                None => Either::Right(
                    Some(Copy {
                        from: a.path.clone(),
                        to: a.rel.clone(),
                        sum: site.images.svg_sum(&a.rel),
                    })
                    .into_iter(),
                ),
            }
        }));
        copies
    };
    let (mut files, ((search, search_files), copies)) = rayon::join(
        || files::generated_files(site, &pages, limits),
        || rayon::join(search_plan, copies),
    );
    files.extend(search_files.into_iter().map(|(site_path, f)| PlannedFile {
        site_path,
        kind: FileKind::Search(f),
    }));
    // A robots.txt of the site's (or theme's) own replaces the generated one.
    let own_robots = output_file(&urls.robots());
    if copies.iter().any(|c| c.to == own_robots) {
        files.retain(|f| !matches!(f.kind, FileKind::Robots { .. }));
    }

    // Two outputs for one file is an error, whatever produced them. The files' paths are
    // made in parallel, and who made a file is only spelled out for a collision.
    let outputs: Vec<String> = (pages.par_iter().map(|p| output_file(&p.site_path)))
        .chain(files.par_iter().map(|f| output_file(&f.site_path)))
        .chain(copies.par_iter().map(|c| c.to.clone()))
        .collect();
    let owner = |i: usize| -> String {
        if let Some(p) = pages.get(i) {
            return match &p.kind {
                PageKind::Entry(i) => site.entries[*i]
                    .version(&p.lang, default)
                    .source
                    .path
                    .display()
                    .to_string(),
                PageKind::Page(i) => site.pages[*i]
                    .versions
                    .get(&p.lang)
                    .map(|v| v.source.path.display().to_string())
                    .unwrap_or_default(),
                PageKind::Release(i) => site.releases[*i].source.display().to_string(),
                k => format!("the {} page", k.template().trim_end_matches(".html")),
            };
        }
        match files.get(i - pages.len()).map(|f| &f.kind) {
            Some(FileKind::Feed { .. } | FileKind::Market(MarketFile::Feed { .. })) => {
                "the Atom feed".into()
            }
            Some(FileKind::Sitemap { .. } | FileKind::SitemapIndex { .. }) => "the sitemap".into(),
            Some(FileKind::Robots { .. }) => "robots.txt".into(),
            Some(FileKind::Data { .. } | FileKind::CsvMetadata { .. } | FileKind::Market(_)) => {
                "the open data".into()
            }
            Some(FileKind::Search(_)) => "the search index".into(),
            None => copies[i - pages.len() - files.len()]
                .from
                .display()
                .to_string(),
        }
    };
    let diags: Vec<Diagnostic> = (collisions(&outputs).into_iter())
        .map(|(i, first)| {
            Diagnostic::error(Problem::UrlCollision {
                url: format!("/{}", outputs[i]),
                first: owner(first),
            })
            .in_file(Path::new(&owner(i)))
        })
        .collect();
    let mut page_files = outputs;
    page_files.truncate(pages.len());
    (
        Plan {
            pages,
            page_files,
            files,
            copies,
            search,
        },
        diags,
    )
}

#[cfg(test)]
mod tests {
    use super::collisions;

    #[test]
    fn each_repeated_output_is_reported_with_its_first_in_order() {
        let outputs: Vec<String> = ["a/index.html", "b.xml", "a/index.html", "c", "b.xml"]
            .into_iter()
            .chain(["a/index.html"])
            .map(String::from)
            .collect();
        assert_eq!(collisions(&outputs), vec![(2, 0), (4, 1), (5, 0)]);
        let distinct: Vec<String> = (0..5000).map(|i| format!("p/{i}/index.html")).collect();
        assert!(collisions(&distinct).is_empty());
    }
}
