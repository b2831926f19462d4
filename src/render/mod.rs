//! Render: a pure function from (site, one planned output) to bytes, run in parallel over
//! the plan: HTML pages through templates, and generated files (feeds, sitemaps, robots.txt,
//! open data) in Rust. It builds template contexts (documented in README.md) and never
//! writes files.

pub mod charts;
pub mod context;
pub mod data;
pub mod display;
pub mod feed;
pub mod sitemap;
pub mod structured;
pub mod templates;
pub mod xml;

use rayon::prelude::*;

use crate::diagnostics::Diagnostic;
use crate::model::Site;
use crate::model::urls::output_file;
use crate::plan::{DataFormat, DataScope, FileKind, Plan, PlannedFile};
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
        .map(|p| {
            renderer.render(p).map(|html| RenderedFile {
                path: output_file(&p.site_path),
                bytes: html.into_bytes(),
            })
        })
        .chain(plan.files.par_iter().map(|f| {
            render_file(site, plan, f).map(|bytes| RenderedFile {
                path: output_file(&f.site_path),
                bytes,
            })
        }))
        .collect();
    let mut files = Vec::with_capacity(results.len());
    let mut errors: Vec<Diagnostic> = Vec::new();
    for r in results {
        match r {
            Ok(f) => files.push(f),
            Err(d) => {
                // One broken template fails every page that uses it: report it once.
                if !errors.iter().any(|e| e.problem == d.problem) {
                    errors.push(d);
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}
