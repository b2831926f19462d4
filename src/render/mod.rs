//! Render: a pure function from (site, one planned output) to bytes, run in parallel over
//! the plan: HTML pages through templates, and generated files (feeds, sitemaps, robots.txt,
//! open data) in Rust. It builds template contexts (documented in README.md) and never
//! writes files.

pub mod charts;
pub mod context;
pub mod data;
pub mod display;
pub mod feed;
pub mod shared;
pub mod sitemap;
pub mod structured;
pub mod templates;
pub mod xml;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::diagnostics::Diagnostic;
use crate::model::Site;
use crate::model::urls::output_file;
use crate::plan::{DataFormat, DataScope, FileKind, Plan, PlannedFile, PlannedPage};
pub use context::Renderer;

/// Render one generated file of `plan`.
pub fn render_file(site: &Site, plan: &Plan, file: &PlannedFile) -> Result<Vec<u8>, Diagnostic> {
    let path = &file.site_path;
    match &file.kind {
        FileKind::Feed {
            lang,
            scope,
            entries,
        } => feed::atom(site, lang, scope, entries, path),
        FileKind::Sitemap { pages } => Ok(sitemap::sitemap(site, plan, pages)),
        FileKind::SitemapIndex { parts } => Ok(sitemap::index(site, parts)),
        FileKind::Robots { sitemap } => Ok(sitemap::robots(site, sitemap)),
        FileKind::Data {
            scope,
            format: DataFormat::Json,
            entries,
        } => {
            let releases: Vec<usize> = match scope {
                DataScope::Site => (0..site.releases.len()).collect(),
                DataScope::Release(i) => vec![*i],
            };
            Ok(data::json(site, entries, &releases))
        }
        FileKind::Data {
            format: DataFormat::Csv,
            entries,
            ..
        } => data::csv(site, entries, path),
        FileKind::CsvMetadata { tables } => data::csv_metadata(site, path, tables),
        FileKind::Search(f) => Ok(crate::search::render(site, &plan.search, f)),
    }
}

/// A rendered page: its path relative to the output folder and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

fn page(renderer: &Renderer<'_>, p: &PlannedPage) -> Result<RenderedFile, Diagnostic> {
    renderer.render(p).map(|html| RenderedFile {
        path: output_file(&p.site_path),
        bytes: html.into_bytes(),
    })
}

fn file(site: &Site, plan: &Plan, f: &PlannedFile) -> Result<RenderedFile, Diagnostic> {
    render_file(site, plan, f).map(|bytes| RenderedFile {
        path: output_file(&f.site_path),
        bytes,
    })
}

/// Keep one report per distinct problem: one broken template fails every page that uses it.
fn push_once(errors: &mut Vec<Diagnostic>, d: Diagnostic) {
    if !errors.iter().any(|e| e.problem == d.problem) {
        errors.push(d);
    }
}

/// Render every page and generated file of `plan`, pages first, in plan order. All problems
/// are reported, not just the first.
pub fn render_pages(
    plan: &Plan,
    renderer: &Renderer<'_>,
) -> Result<Vec<RenderedFile>, Vec<Diagnostic>> {
    let site = renderer.site();
    let results: Vec<Result<RenderedFile, Diagnostic>> = plan
        .pages
        .par_iter()
        .map(|p| page(renderer, p))
        .chain(plan.files.par_iter().map(|f| file(site, plan, f)))
        .collect();
    let mut files = Vec::with_capacity(results.len());
    let mut errors: Vec<Diagnostic> = Vec::new();
    for r in results {
        match r {
            Ok(f) => files.push(f),
            Err(d) => push_once(&mut errors, d),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

/// Render every page and generated file of `plan` in parallel and hand each to `sink` as
/// soon as it is ready, so a build never holds the whole site in memory. The order of the
/// calls is not defined. After the first problem nothing more is handed to `sink`, but
/// rendering goes on so that every problem is reported. Returns the number of files.
pub fn render_each<F>(
    plan: &Plan,
    renderer: &Renderer<'_>,
    sink: F,
) -> Result<usize, Vec<Diagnostic>>
where
    F: Fn(RenderedFile) -> Result<(), Diagnostic> + Sync,
{
    let site = renderer.site();
    let errors: Mutex<Vec<Diagnostic>> = Mutex::new(Vec::new());
    let failed = AtomicBool::new(false);
    let deliver = |r: Result<RenderedFile, Diagnostic>| {
        let r = r.and_then(|f| {
            if failed.load(Ordering::Relaxed) {
                Ok(())
            } else {
                sink(f)
            }
        });
        if let Err(d) = r {
            failed.store(true, Ordering::Relaxed);
            push_once(&mut errors.lock().unwrap_or_else(|e| e.into_inner()), d);
        }
    };
    rayon::join(
        || {
            plan.pages
                .par_iter()
                .for_each(|p| deliver(page(renderer, p)))
        },
        || {
            plan.files
                .par_iter()
                .for_each(|f| deliver(file(site, plan, f)))
        },
    );
    let errors = errors.into_inner().unwrap_or_else(|e| e.into_inner());
    if errors.is_empty() {
        Ok(plan.pages.len() + plan.files.len())
    } else {
        Err(errors)
    }
}
