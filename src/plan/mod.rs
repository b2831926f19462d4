//! Plan: turn the model into the list of outputs a build produces (every HTML page with its
//! language, URL and template; every file to copy). Two outputs wanting one path is an error
//! found here. It decides *what* is written, never *how* (that is `render` and `sink`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diagnostics::{Diagnostic, Problem};
use crate::load::discover::is_ignored_name;
use crate::model::Site;
use crate::model::ids::Lang;
use crate::model::urls::output_file;

/// What a page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

/// Every output of a build.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub pages: Vec<PlannedPage>,
    pub copies: Vec<Copy>,
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

/// Plan every page and copy for `site` (found at `root`).
pub fn plan(site: &Site, root: &Path) -> (Plan, Vec<Diagnostic>) {
    let urls = &site.urls;
    let default = site.default_lang();
    let paginate = site.config.paginate_by;
    let mut pages = Vec::new();
    let mut add = |lang: &Lang, site_path: String, kind: PageKind| {
        pages.push(PlannedPage {
            lang: lang.clone(),
            site_path,
            kind,
        })
    };
    for lang in &site.config.languages {
        add(lang, urls.home(lang), PageKind::Home);
        add(lang, urls.releases(lang), PageKind::ReleaseIndex);
        for (i, r) in site.releases.iter().enumerate() {
            add(lang, urls.release(lang, &r.id), PageKind::Release(i));
        }
        for (i, e) in site.entries.iter().enumerate() {
            if e.versions.contains_key(lang) {
                add(
                    lang,
                    urls.entry(lang, &e.release, &e.slug),
                    PageKind::Entry(i),
                );
            }
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
        add(lang, urls.not_found(lang), PageKind::NotFound);
    }

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
        copies.push(Copy { from, to });
    }
    for a in &site.assets {
        copies.push(Copy {
            from: a.path.clone(),
            to: a.rel.clone(),
        });
    }

    // Two outputs for one file is an error, whatever produced them.
    let mut diags = Vec::new();
    let mut owners: HashMap<String, String> = HashMap::new();
    let mut claim = |file: String, owner: String, diags: &mut Vec<Diagnostic>| {
        if let Some(first) = owners.get(&file) {
            diags.push(
                Diagnostic::error(Problem::UrlCollision {
                    url: format!("/{file}"),
                    first: first.clone(),
                })
                .in_file(Path::new(&owner)),
            );
        } else {
            owners.insert(file, owner);
        }
    };
    for p in &pages {
        let owner = match &p.kind {
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
        claim(output_file(&p.site_path), owner, &mut diags);
    }
    for c in &copies {
        claim(c.to.clone(), c.from.display().to_string(), &mut diags);
    }
    (Plan { pages, copies }, diags)
}
