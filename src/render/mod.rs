//! Render: a pure function from (site, one planned output) to bytes, run in parallel over
//! the plan: HTML pages through templates, and generated files (feeds, sitemaps, robots.txt,
//! open data) in Rust. It builds template contexts (documented in README.md) and never
//! writes files.

pub mod charts;
pub mod context;
pub mod data;
pub mod data_json;
pub mod data_market;
pub mod display;
pub mod feed;
pub mod head;
pub mod market;
pub mod market_feed;
pub mod pictures;
mod pieces;
mod resize_fn;
pub mod reuse;
pub mod search_update;
pub mod shared;
pub mod sitemap;
pub mod structured;
pub mod templates;
mod variables;
pub mod xml;

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::diagnostics::{Diagnostic, Problem};
use crate::model::Site;
use crate::model::urls::output_file;
use crate::plan::{DataFormat, DataScope, FileKind, MarketFile, Plan, PlannedFile, PlannedPage};
pub use context::Renderer;

/// Render one generated file of `plan`.
pub fn render_file(site: &Site, plan: &Plan, file: &PlannedFile) -> Result<Vec<u8>, Diagnostic> {
    render_file_sharing(site, plan, file, &feed::SharedEntries::none())
}

/// [`render_file`], with the feed entries several of a build's feeds list serialized once
/// (see [`feed::SharedEntries`]).
fn render_file_sharing(
    site: &Site,
    plan: &Plan,
    file: &PlannedFile,
    shared: &feed::SharedEntries<'_>,
) -> Result<Vec<u8>, Diagnostic> {
    let path = &file.site_path;
    match &file.kind {
        FileKind::Feed {
            lang,
            scope,
            entries,
        } => feed::atom(site, lang, scope, entries, path, shared),
        FileKind::Sitemap { pages } => Ok(sitemap::sitemap(site, plan, pages)),
        FileKind::SitemapIndex { parts } => Ok(sitemap::index(site, parts)),
        FileKind::Robots { sitemap } => Ok(sitemap::robots(site, sitemap)),
        FileKind::Data {
            scope,
            format,
            entries,
        } => {
            let mut out = Vec::new();
            write_data(site, scope, format, entries, path, &mut out)?;
            Ok(out)
        }
        FileKind::CsvMetadata { tables } => {
            data::csv_metadata(site, data::Table::Results, path, tables)
        }
        FileKind::Search(f) => Ok(crate::search::render(site, &plan.search, f)),
        FileKind::Market(MarketFile::Feed { collection, lang }) => {
            market_feed::atom(site, *collection, lang, path)
        }
        FileKind::Market(f) => data_market::render(site, f, path),
    }
}

/// A rendered page: its path relative to the output folder and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

fn page(renderer: &Renderer<'_>, p: &PlannedPage) -> Result<RenderedFile, Diagnostic> {
    let path = output_file(&p.site_path);
    // Images the page asks for are noted as its own (see `images::asks`).
    let images = &renderer.site().images;
    let bytes = images.for_page(&path, || renderer.render(p))?;
    Ok(RenderedFile { path, bytes })
}

fn file(
    site: &Site,
    plan: &Plan,
    f: &PlannedFile,
    shared: &feed::SharedEntries<'_>,
) -> Result<RenderedFile, Diagnostic> {
    render_file_sharing(site, plan, f, shared).map(|bytes| RenderedFile {
        path: output_file(&f.site_path),
        bytes,
    })
}

/// Keep one report per distinct problem: one broken template fails every page that uses it.
pub(crate) fn push_once(errors: &mut Vec<Diagnostic>, d: Diagnostic) {
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
    let all: Vec<&PlannedFile> = plan.files.iter().collect();
    let shared = feed::SharedEntries::new(&all);
    let results: Vec<Result<RenderedFile, Diagnostic>> = plan
        .pages
        .par_iter()
        .map(|p| page(renderer, p))
        .chain(plan.files.par_iter().map(|f| file(site, plan, f, &shared)))
        .collect();
    let problems = Problems::default();
    let files = results
        .into_iter()
        .filter_map(|r| r.map_err(|d| problems.add(d)).ok())
        .collect();
    problems.result(files)
}

/// Where [`render_each`] hands the files it renders. A closure taking a [`RenderedFile`] is
/// a sink that takes every file whole.
pub trait Sink: Sync {
    /// Take one file.
    fn put(&self, file: RenderedFile) -> Result<(), Diagnostic>;

    /// A writer for the file at `path` (relative to the output folder), for files written
    /// as they are made (the site-wide open data files, as large as all entries' fields
    /// together); `None` to take them whole through [`Sink::put`] instead.
    fn open(&self, _path: &str) -> Result<Option<Box<dyn Write + '_>>, Diagnostic> {
        Ok(None)
    }
}

impl<F: Fn(RenderedFile) -> Result<(), Diagnostic> + Sync> Sink for F {
    fn put(&self, file: RenderedFile) -> Result<(), Diagnostic> {
        self(file)
    }
}

/// Write an open data file (JSON or CSV of `entries`) into `out` as it is made.
fn write_data(
    site: &Site,
    scope: &DataScope,
    format: &DataFormat,
    entries: &[usize],
    site_path: &str,
    out: &mut dyn Write,
) -> Result<(), Diagnostic> {
    let write_err = |e: std::io::Error| {
        Diagnostic::error(Problem::OutputWrite {
            path: site_path.trim_start_matches('/').into(),
            message: e.to_string(),
        })
    };
    match format {
        DataFormat::Json => {
            let releases: Vec<usize> = match scope {
                DataScope::Site => (0..site.releases.len()).collect(),
                DataScope::Release(i) => vec![*i],
            };
            data_json::write_json(site, entries, &releases, out).map_err(write_err)
        }
        DataFormat::Csv => data::write_csv(site, data::Table::Results, entries, site_path, out),
    }?;
    out.flush().map_err(write_err)
}

/// Render `f` into `sink` as it is made, if it is an open data file (the site-wide ones are
/// as large as all entries' fields together) and the sink takes streams: `None` when it
/// should be rendered whole.
fn stream(site: &Site, f: &PlannedFile, sink: &impl Sink) -> Option<Result<(), Diagnostic>> {
    let path = output_file(&f.site_path);
    let open = || match sink.open(&path) {
        Ok(Some(w)) => Some(Ok(w)),
        Ok(None) => None,
        Err(d) => Some(Err(d)),
    };
    match &f.kind {
        FileKind::Data {
            scope,
            format,
            entries,
        } => Some(
            open()?
                .and_then(|mut w| write_data(site, scope, format, entries, &f.site_path, &mut w)),
        ),
        // The collections' and the matches' JSON (tens of megabytes on a large site).
        FileKind::Market(m @ (MarketFile::Collection(_) | MarketFile::Matches)) => {
            Some(open()?.and_then(|mut w| {
                match m {
                    MarketFile::Collection(c) => data_market::write_collection(site, *c, &mut w),
                    _ => data_market::write_matches(site, &mut w),
                }
                .and_then(|()| w.flush())
                .map_err(|e| data_market::write_error(&path, &e))
            }))
        }
        _ => None,
    }
}

/// Problems met while rendering into a sink, kept across calls of [`render_some`]: after
/// the first, nothing more is handed to the sink, but rendering goes on so that every
/// problem is reported.
#[derive(Default)]
pub struct Problems {
    errors: Mutex<Vec<Diagnostic>>,
    failed: AtomicBool,
}

impl Problems {
    /// Note a problem (one report per distinct problem).
    pub fn add(&self, d: Diagnostic) {
        self.failed.store(true, Ordering::Relaxed);
        push_once(
            &mut self.errors.lock().unwrap_or_else(|e| e.into_inner()),
            d,
        );
    }

    /// Has anything gone wrong yet?
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// `Ok(value)` when nothing went wrong, else every problem.
    pub fn result<T>(self, value: T) -> Result<T, Vec<Diagnostic>> {
        let errors = self.errors.into_inner().unwrap_or_else(|e| e.into_inner());
        if errors.is_empty() {
            Ok(value)
        } else {
            Err(errors)
        }
    }
}

/// Render `pages` and `files` (of `plan`) in parallel and hand each to `sink` as soon as it
/// is ready (or stream it into the sink, see [`Sink::open`]). The order of the calls is not
/// defined. Problems go to `problems`; after the first, nothing more is handed to `sink`.
pub fn render_some(
    plan: &Plan,
    pages: &[&PlannedPage],
    files: &[&PlannedFile],
    renderer: &Renderer<'_>,
    sink: &impl Sink,
    problems: &Problems,
) {
    let site = renderer.site();
    let deliver = |r: Result<RenderedFile, Diagnostic>| {
        let r = r.and_then(|f| {
            if problems.failed() {
                Ok(())
            } else {
                sink.put(f)
            }
        });
        if let Err(d) = r {
            problems.add(d);
        }
    };
    let shared = feed::SharedEntries::new(files);
    // After a problem nothing more is streamed either (files are still rendered, whole,
    // for their problems).
    let deliver_file = |f: &PlannedFile| {
        let streamed = if problems.failed() {
            None
        } else {
            stream(site, f, sink)
        };
        match streamed {
            Some(Ok(())) => {}
            Some(Err(d)) => problems.add(d),
            None => deliver(file(site, plan, f, &shared)),
        }
    };
    rayon::join(
        || pages.par_iter().for_each(|p| deliver(page(renderer, p))),
        || files.par_iter().for_each(|f| deliver_file(f)),
    );
}

/// Render every page and generated file of `plan` in parallel into `sink` (see
/// [`render_some`]), so a build never holds the whole site in memory. Every problem is
/// reported. Returns the number of files.
pub fn render_each(
    plan: &Plan,
    renderer: &Renderer<'_>,
    sink: &impl Sink,
) -> Result<usize, Vec<Diagnostic>> {
    let problems = Problems::default();
    let pages: Vec<&PlannedPage> = plan.pages.iter().collect();
    let files: Vec<&PlannedFile> = plan.files.iter().collect();
    render_some(plan, &pages, &files, renderer, sink, &problems);
    problems.result(pages.len() + files.len())
}
