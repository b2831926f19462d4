//! Gazette: a static site generator for periodic releases of scientific and technological
//! results. The pipeline is load → validate → model → plan → render → sink; this file wires
//! the stages together and is the API the CLI and the tests use.

pub mod config;
pub mod deploy;
pub mod diagnostics;
pub mod handoff;
pub mod images;
pub mod import;
pub mod kept;
pub mod links;
pub mod load;
pub mod markdown;
pub mod memory;
pub mod model;
pub mod plan;
pub mod render;
pub mod scaffold;
pub mod search;
pub mod serve;
pub mod sink;
pub mod trace;
pub mod validate;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use diagnostics::{Diagnostic, SourceMap};
use load::discover::ContentKind;
use model::assemble::{ModelOptions, assemble};
use model::{HeldBack, Site};
use validate::documents::{Doc, check_file_kept};

/// What a build or check was asked to do.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub root: PathBuf,
    /// Output folder; default `<root>/output`.
    pub output: Option<PathBuf>,
    /// Overrides `base_url` from site.toml.
    pub base_url: Option<String>,
    /// Include drafts and embargoed entries.
    pub drafts: bool,
}

impl BuildOptions {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        BuildOptions {
            root: root.into(),
            output: None,
            base_url: None,
            drafts: false,
        }
    }
}

/// A failed run: every problem found, and the sources to show them with.
pub struct Failure {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
}

impl Failure {
    /// A failure made of these problems (sorted by location).
    pub fn from_diagnostics(diagnostics: Vec<Diagnostic>, sources: SourceMap) -> Self {
        Failure::new(diagnostics, sources)
    }

    fn new(mut diagnostics: Vec<Diagnostic>, sources: SourceMap) -> Self {
        diagnostics::sort(&mut diagnostics);
        Failure {
            diagnostics,
            sources,
        }
    }

    /// The report for a terminal.
    pub fn report(&self) -> String {
        diagnostics::render_report(&self.diagnostics, &self.sources)
    }

    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
}

impl std::fmt::Debug for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for d in &self.diagnostics {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

/// A loaded, validated site with its rendered Markdown.
pub struct Loaded {
    pub site: Site,
    pub sources: SourceMap,
    /// Warnings that did not stop the run.
    pub warnings: Vec<Diagnostic>,
    /// What page signatures start from (gathered for builds only, see [`render::reuse`]).
    pub inputs: render::reuse::Inputs,
    /// The matches were taken from the last build's (see [`model::match_cache`]).
    pub matches_reused: bool,
    /// How many bodies' HTML was read back from the last build's (see [`markdown::store`]).
    pub bodies_reused: usize,
    /// How many documents' checked fields were read back (see [`validate::kept`]).
    pub fields_reused: usize,
    /// How many files were known by their fingerprint, and how many of those were read
    /// after all (see [`load::known`]).
    pub known: SourcesKnown,
    /// The logs of work kept for the next build, being written: dropped with the rest, they
    /// are waited for (see [`kept::Log::finish`]).
    writing: Vec<kept::Written>,
}

/// Content files a build found as the last one read them (see [`load::known`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct SourcesKnown {
    /// Known by their fingerprint: not read to be checked.
    pub known: usize,
    /// Of those, read later all the same (a body rendered again).
    pub read_late: usize,
}

/// The documents of a site's checked files, in discovery order.
struct Gathered {
    docs: Vec<Doc>,
    /// Link keys of originals that failed validation: links and translations pointing at
    /// them are not reported again (the file's own errors already explain the failure).
    invalid: std::collections::HashSet<String>,
    diags: Vec<Diagnostic>,
}

/// Gather the documents of `files` from their checks (`results`, in the same order); each
/// file's hashes go into `hashes`, and the text of each file with a problem into `sources`
/// (a report quotes what was checked).
fn gather_documents(
    files: &[load::discover::ContentFile],
    results: Vec<validate::documents::CheckedFile>,
    default: &model::ids::Lang,
    hashes: &mut sink::Map<sink::PathKey, render::reuse::FileHashes>,
    sources: &mut SourceMap,
) -> Gathered {
    let mut gathered = Gathered {
        // Sized once: growing a vector of 100,000 documents moved them all again and again.
        docs: Vec::with_capacity(files.len()),
        invalid: Default::default(),
        diags: Vec::new(),
    };
    for (file, checked) in files.iter().zip(results) {
        let validate::documents::CheckedFile {
            doc,
            source,
            diags,
            hashes: h,
        } = checked;
        if let Some(h) = h {
            hashes.insert(sink::PathKey::of_path(&file.path), h);
        }
        if let Some(s) = source.filter(|_| !diags.is_empty()) {
            sources.insert(s.path.clone(), s.text().clone());
        }
        if doc.is_none() {
            let key = match &file.kind {
                ContentKind::Entry {
                    release,
                    slug,
                    lang,
                    ..
                } if lang == default => Some(format!("releases/{release}/{slug}")),
                ContentKind::Page { slug, lang } if lang == default => {
                    Some(format!("pages/{slug}"))
                }
                _ => None,
            };
            gathered.invalid.extend(key);
        }
        gathered.docs.extend(doc);
        gathered.diags.extend(diags);
    }
    gathered
}

/// Load and validate everything under `opts.root`. Nothing is written.
pub fn load_site(opts: &BuildOptions) -> Result<Loaded, Failure> {
    load_site_traced(opts, &mut trace::Trace::new(), false, false, None)
}

/// [`load_site`]; with `drop_texts`, entries and pages keep no source text or Markdown
/// once their HTML is rendered (for a build, see [`markdown::site::render_all`]).
///
/// `rebuild`: a build that brings a staging folder left by an earlier one up to date (see
/// [`memory::SiteSize::rebuild`]).
///
/// `read`, if given, is told once every content file is read and checked (the phases after
/// that use one core for most of their time).
fn load_site_traced(
    opts: &BuildOptions,
    trace: &mut trace::Trace,
    drop_texts: bool,
    rebuild: bool,
    read: Option<std::sync::mpsc::Sender<()>>,
) -> Result<Loaded, Failure> {
    let root = &opts.root;
    // Reports read the files they quote from disk; only the texts of files that have
    // problems now are kept, so a report quotes what was checked.
    let mut sources = SourceMap::reading_from(root);
    let (mut config, config_source) =
        config::load(root).map_err(|d| Failure::new(d, SourceMap::default()))?;
    sources.insert(config_source.path.clone(), config_source.text().clone());
    if let Some(b) = &opts.base_url {
        config.base_url = config::BaseUrl::parse(b).ok_or_else(|| {
            Failure::new(
                vec![Diagnostic::error(diagnostics::Problem::Config {
                    message: format!("--base-url `{b}` must be an absolute http(s) URL"),
                })],
                SourceMap::default(),
            )
        })?;
    }
    // A build takes the listings of folders as the last build found them, and the checked
    // fields of documents whose text the last build checked, for the same site.toml and
    // Gazette (see `load::discover` and `validate::kept`).
    let gazette = drop_texts.then(render::reuse::this_gazette);
    let listings = (gazette.as_ref()).map(|g| load::discover::listings(root, g));
    let found = load::discover::discover_kept(root, &config, listings.as_ref());
    // The logs of work kept for the next build are written beside the phases after the one
    // that filled them, and waited for when the build ends (when `Loaded` is dropped).
    let mut writing = Vec::new();
    writing.extend(listings.map(kept::Log::finish));
    memory::site_size(memory::SiteSize {
        files: found.files.len(),
        rebuild,
    });
    trace.mark("discover");
    let mut diags = found.problems;
    diags.extend(config.warnings.iter().map(|w| {
        Diagnostic::warning(diagnostics::Problem::Config { message: w.clone() })
            .in_file(Path::new("site.toml"))
    }));
    let config_hash = render::reuse::text_hash(config_source.text());
    // Each store reads its index into a map (130,000 records each at 100,000 entries):
    // side by side.
    let (kept_fields, known) = rayon::join(
        || {
            (gazette.as_ref()).map(|g| {
                let salt = kept::salt(&[g, &config_hash.to_string()]);
                validate::kept::CheckedStore::open(root, salt)
            })
        },
        || (gazette.as_ref()).map(|g| load::known::KnownSources::open(root, g)),
    );
    let kept = kept_fields.as_ref().zip(known.as_ref());
    let kept = kept.map(|(fields, sources)| validate::documents::Kept { fields, sources });
    // A build also gathers each file's hashes for its page signatures.
    let results: Vec<_> = found
        .files
        .par_iter()
        .map(|f| check_file_kept(root, f, &config, kept))
        .collect();
    let fields_reused = kept_fields.as_ref().map_or(0, |k| k.reused());
    writing.extend(kept_fields.map(validate::kept::CheckedStore::finish));
    let late = known.as_ref().map(|k| k.late());
    let sources_known = known.as_ref().map_or(0, |k| k.reused());
    writing.extend(known.map(load::known::KnownSources::finish));
    let mut inputs = render::reuse::Inputs {
        config: config_hash,
        drafts: opts.drafts,
        files: sink::Map::with_capacity_and_hasher(results.len(), Default::default()),
        ..Default::default()
    };
    trace.mark("read+validate");
    // Thumbnails are made (or found in the cache) before the model, so that bodies and
    // pages can name their sizes; SVG files are checked here too. Gathering the documents
    // is one thread's work: beside them.
    let ((images, image_diags), gathered) = rayon::join(
        || images::Images::process_kept(root, &config.images, &found.files, gazette.as_deref()),
        || {
            gather_documents(
                &found.files,
                results,
                &config.default_language,
                &mut inputs.files,
                &mut sources,
            )
        },
    );
    let Gathered {
        docs,
        invalid,
        diags: d,
    } = gathered;
    diags.extend(d);
    diags.extend(image_diags);
    trace.mark("images+documents");
    // The survey of the staging folder (which the sink needs) may start. Started before the
    // images instead, it slowed them as much as it now slows assembling: where it starts
    // only moves its cost between phases.
    if let Some(read) = read {
        let _ = read.send(());
    }
    let assets: Vec<load::discover::ContentFile> = found
        .files
        .into_iter()
        .filter(|f| f.kind == ContentKind::Asset)
        .collect();
    let options = ModelOptions {
        include_held: opts.drafts,
        now: jiff::Timestamp::now(),
        // A build takes the matches from the last build's when nothing they are computed
        // from changed (see `model::match_cache`).
        matching: match drop_texts {
            true => model::assemble::MatchingRun::Later,
            false => model::assemble::MatchingRun::Compute,
        },
    };
    let (mut assembled, d) = assemble(&config, docs, assets, options, &invalid);
    diags.extend(d);
    assembled.site.images = std::sync::Arc::new(images);
    diags.extend(images::uses::check(&assembled.site, root));
    trace.mark("assemble");
    // A build reads back the bodies the last one rendered from the same text, links and
    // images (see `markdown::store`), for the same site.toml and this Gazette, keyed with
    // the link targets' epoch.
    let mut store = None;
    // A build takes what matching reads out of the site here and computes the matches
    // while the bodies are rendered (which does not read them), on the cores rendering
    // leaves idle: storing each chunk's bodies and the store's log are one thread's work.
    let mut pending = None;
    if let Some(gazette) = gazette {
        let site = &assembled.site;
        // Reading the matches back is one thread's work (decoding a large file), as is most
        // of making the resolver: side by side. (Beside assembling, they slowed it by more
        // than they gained: assembling keeps both cores busy.)
        let (matching, ((epoch, signed_epoch), bodies)) = rayon::join(
            || {
                model::match_cache::begin(
                    &site.config,
                    &site.entries,
                    &site.collections,
                    &model::match_cache::path(root),
                    &gazette,
                )
            },
            || {
                let resolver =
                    markdown::Resolver::new(site, &assembled.withheld, &assembled.invalid);
                let epoch = resolver.epoch();
                let mut signed = epoch;
                if serve::signature::shared_templates_make_images(root, &config.theme) {
                    signed ^= site.images.fingerprint_all();
                }
                let salt = kept::salt(&[
                    &gazette,
                    &inputs.config.to_string(),
                    &site.config.base_url.absolute,
                ]);
                (
                    (epoch, signed),
                    markdown::store::BodyStore::open(root, salt),
                )
            },
        );
        pending = Some(matching);
        inputs.epoch = signed_epoch;
        store = Some((bodies, epoch));
        trace.mark("matching taken+resolver");
    }
    let site = &mut assembled.site;
    let (withheld, invalid) = (&assembled.withheld, &assembled.invalid);
    let ((d, bodies_reused, bodies_written), matched) = rayon::join(
        || {
            let d = markdown::site::render_all(
                site,
                withheld,
                invalid,
                drop_texts,
                store.as_ref().map(|(s, epoch)| (s, *epoch)),
            );
            let reused = store.as_ref().map_or(0, |(s, _)| s.reused());
            let written = store.map(|(store, _)| store.finish());
            (d, reused, written)
        },
        || pending.map(model::match_cache::Pending::finish),
    );
    writing.extend(bodies_written);
    diags.extend(d);
    let mut matches_reused = false;
    if let Some((matches, reused)) = matched {
        assembled.site.matches = std::sync::Arc::new(matches);
        matches_reused = reused;
    }
    trace.mark("markdown+matching");
    // A file taken as known whose text was read late (a body rendered again) and found
    // saved since: the site would mix what it was and what it is.
    if let Some(late) = &late {
        trace.note(format!(
            "sources: {sources_known} known by their fingerprint, {} of them read late",
            late.count()
        ));
        diags.extend(late.changed().into_iter().map(|at| {
            let rel = at.strip_prefix(root).unwrap_or(&at);
            Diagnostic::error(diagnostics::Problem::ChangedWhileBuilding).in_file(rel)
        }));
    }
    let (errors, warnings): (Vec<_>, Vec<_>) = diags.into_iter().partition(Diagnostic::is_error);
    if !errors.is_empty() {
        let mut all = errors;
        all.extend(warnings);
        return Err(Failure::new(all, sources));
    }
    Ok(Loaded {
        site: assembled.site,
        sources,
        warnings,
        inputs,
        matches_reused,
        bodies_reused,
        fields_reused,
        known: SourcesKnown {
            known: sources_known,
            read_late: late.as_ref().map_or(0, |l| l.count()),
        },
        writing,
    })
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Loaded {{ entries: {}, releases: {}, warnings: {} }}",
            self.site.entries.len(),
            self.site.releases.len(),
            self.warnings.len()
        )
    }
}

/// The result of rendering a site in memory.
pub struct RenderedSite {
    pub plan: plan::Plan,
    pub files: Vec<render::RenderedFile>,
}

/// Plan and render every page of a loaded site, in memory.
pub fn render_site(loaded: &Loaded, root: &Path) -> Result<RenderedSite, Vec<Diagnostic>> {
    let (mut plan, renderer) = prepare(loaded, root)?;
    let files = render::render_pages(&plan, &renderer)?;
    // Images made while rendering (Open Graph crops, `resize_image`) are copies too.
    let derived = loaded.site.images.derived_outputs();
    plan.copies
        .extend(derived.into_iter().map(|(to, from, sum)| plan::Copy {
            from,
            to,
            sum: Some(sum),
        }));
    Ok(RenderedSite { plan, files })
}

/// The plan of every output and a renderer for it, shared by build, check and render_site.
fn prepare<'a>(
    loaded: &'a Loaded,
    root: &Path,
) -> Result<(plan::Plan, render::Renderer<'a>), Vec<Diagnostic>> {
    let (plan, diags) = plan::plan(&loaded.site, root);
    if !diags.is_empty() {
        return Err(diags);
    }
    let renderer = render::Renderer::new(&loaded.site, root)?;
    Ok((plan, renderer))
}

/// What a successful build did.
#[derive(Debug, Clone)]
pub struct Summary {
    pub entries: usize,
    pub releases: usize,
    pub pages: usize,
    /// Pages rendered; the others were kept as the output had them, their signatures
    /// unchanged (see [`render::reuse`]).
    pub rendered: usize,
    /// Files in the output (pages, generated files, copies), not counting its marker.
    pub files: usize,
    /// What the build wrote, left alone and removed in its staging folder, which became the
    /// output if `changes.swapped` (not when the output already was the new site): a
    /// rebuild writes only the files whose bytes changed.
    pub changes: sink::disk::Changes,
    pub held_back: HeldBack,
    /// How many search shard files were patched, when the output's search index was brought
    /// up to date for a few changed documents (see [`render::search_update`]); `None` when
    /// the index was built whole.
    pub search_patched: Option<usize>,
    /// The matches were taken from the last build's: nothing matching reads had changed
    /// (see [`model::match_cache`]).
    pub matches_reused: bool,
    /// How many bodies' HTML was read back from the last build's instead of rendered (see
    /// [`markdown::store`]).
    pub bodies_reused: usize,
    /// How many documents' checked fields were read back instead of parsed and checked (see
    /// [`validate::kept`]).
    pub fields_reused: usize,
    /// Content files known by their fingerprint (see [`load::known`]).
    pub sources: SourcesKnown,
    /// The staging folder was surveyed ahead of this build (see [`sink::ahead`]): how many
    /// of its names were found otherwise than recorded. `None`: this build surveyed it.
    pub surveyed_ahead: Option<usize>,
    /// The site paths of the generated files (feeds, open data, sitemaps, search files)
    /// rendered; the others were kept, their signatures unchanged.
    pub files_rendered: Vec<String>,
    pub warnings: Vec<Diagnostic>,
    pub elapsed: Duration,
    pub output: PathBuf,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "built {} entries in {} releases: {} pages ({} rendered), {} files in {} ({} written, {} removed); held back {} drafts and {} embargoed; {} warnings; {:.2} s",
            self.entries,
            self.releases,
            self.pages,
            self.rendered,
            self.files,
            self.output.display(),
            self.changes.written,
            self.changes.removed,
            self.held_back.drafts,
            self.held_back.embargoed,
            self.warnings.len(),
            self.elapsed.as_secs_f64()
        )
    }
}

/// What `gazette check` does beyond what a build checks.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Also ask other sites whether the site's links to them work (`--external`).
    pub external: bool,
}

/// What a check found.
pub struct Checked {
    /// The site with the warnings found, or every problem when there were errors.
    pub result: Result<Loaded, Failure>,
    /// What the external link check did, when asked for and run.
    pub external: Option<links::Summary>,
}

/// Validate and render the site without writing anything (`gazette check`).
/// Besides everything a build checks, it warns about what an editor should look at before
/// publishing: near-duplicate titles, drafts and embargoed entries in releases, embargoes
/// that have passed.
pub fn check(opts: &BuildOptions) -> Result<Loaded, Failure> {
    check_with(opts, &CheckOptions::default()).result
}

/// [`check`], and with `external`, a check of every link to another site (see [`links`]):
/// broken ones are errors, redirected ones warnings.
pub fn check_with(opts: &BuildOptions, options: &CheckOptions) -> Checked {
    let mut external = None;
    let result = check_inner(opts, options, &mut external);
    Checked { result, external }
}

fn check_inner(
    opts: &BuildOptions,
    options: &CheckOptions,
    external: &mut Option<links::Summary>,
) -> Result<Loaded, Failure> {
    let mut loaded = load_site(opts)?;
    // Render everything, keeping nothing but, for --external, the pages' web links: the
    // problems are what a check is for.
    let page_links = std::sync::Mutex::new(Vec::new());
    let sink = |f: render::RenderedFile| {
        if options.external
            && f.path.ends_with(".html")
            && let Ok(html) = std::str::from_utf8(&f.bytes)
        {
            let found = links::collect::from_page(&f.path, html);
            if let Ok(mut all) = page_links.lock() {
                all.extend(found);
            }
        }
        Ok(())
    };
    let rendered = prepare(&loaded, &opts.root)
        .and_then(|(plan, renderer)| render::render_each(&plan, &renderer, &sink));
    if let Err(d) = rendered {
        return Err(Failure::new(d, loaded.sources));
    }
    let mut warnings = model::checks::publishing_warnings(&loaded.site, jiff::Timestamp::now());
    warnings.append(&mut loaded.warnings);
    if options.external {
        let mut uses = links::collect::from_bodies(&loaded.site);
        uses.extend(page_links.into_inner().unwrap_or_default());
        uses.forget_own(&loaded.site.config.base_url.absolute);
        uses.find_in_sources(&loaded.site);
        let (diags, summary) = links::check(
            &uses,
            &loaded.site.config.link_check,
            &opts.root,
            jiff::Timestamp::now().as_second(),
        );
        warnings.extend(diags);
        *external = Some(summary);
        if warnings.iter().any(Diagnostic::is_error) {
            return Err(Failure::new(warnings, loaded.sources));
        }
    }
    diagnostics::sort(&mut warnings);
    loaded.warnings = warnings;
    Ok(loaded)
}

/// Build the search index of `plan` and, as documents stream into it chunk by chunk, write
/// those entries' pages (but those `kept`) and search documents into `staging`, then let go
/// of their bodies' HTML: a large site then never holds every body together with the whole
/// index. Then the shard files are written, and shard and document files are taken out of
/// `plan` (the index forgets its shards). Problems go to `problems`. Returns which of
/// `plan.pages` were written (or kept), how many files were rendered, and how many shard
/// files were patched if they were.
///
/// When few documents changed since the output was built, the output's shards are patched
/// instead (see [`render::search_update`]) and the entry pages are left to the caller.
fn write_entries_and_search(
    site: &Site,
    plan: &mut plan::Plan,
    renderer: &render::Renderer<'_>,
    staging: &sink::disk::Staging,
    reuse: &render::reuse::Reuse,
    problems: &render::Problems,
) -> (Vec<bool>, usize, Option<usize>) {
    use plan::{FileKind, PageKind, PlannedFile, PlannedPage};
    use search::SearchFile;
    let mut done = vec![false; plan.pages.len()];
    if plan.search.is_empty() {
        return (done, 0, None);
    }
    let search_file = |f: &PlannedFile| {
        matches!(
            f.kind,
            FileKind::Search(SearchFile::Shard { .. } | SearchFile::Doc { .. })
        )
    };
    let patched =
        render::search_update::patch_search_files(site, plan, reuse, staging, renderer, problems);
    if let Some(p) = patched {
        plan.files.retain(|f| !search_file(f));
        plan.search.forget_shards();
        return (done, p.files, Some(p.shards));
    }
    let kept = &reuse.kept;
    let p: &plan::Plan = plan;
    let mut pages_of: Vec<Vec<usize>> = vec![Vec::new(); site.entries.len()];
    for (k, page) in p.pages.iter().enumerate() {
        if let PageKind::Entry(e) = page.kind {
            pages_of[e].push(k);
        }
    }
    let mut files_of: Vec<Vec<usize>> = vec![Vec::new(); p.search.len()];
    for (k, f) in p.files.iter().enumerate() {
        if let FileKind::Search(SearchFile::Doc { doc, .. }) = f.kind {
            files_of[doc].push(k);
        }
    }
    let mut written = 0;
    p.search
        .build_streaming(site, &mut |first, count, entries| {
            // Pages kept from the output (see `render::reuse`) are not rendered again.
            let pages: Vec<&PlannedPage> = entries
                .iter()
                .flat_map(|&e| &pages_of[e])
                .filter(|&&k| kept[k].is_none())
                .map(|&k| &p.pages[k])
                .collect();
            // So are the documents' files whose signature is unchanged.
            let (keep, files): (Vec<usize>, Vec<usize>) = (first..first + count)
                .flat_map(|d| files_of[d].iter().copied())
                .partition(|&k| reuse.files_kept[k].is_some());
            // Their places in the list the staging folder was prepared with: the pages,
            // then these files (see `Staging::prepare`).
            let keep: Vec<(usize, String, u128)> = (keep.iter())
                .map(|&k| {
                    let path = model::urls::output_file(&p.files[k].site_path);
                    (p.pages.len() + k, path, reuse.files_kept[k].unwrap_or(0))
                })
                .collect();
            if let Err(d) = staging.keep_at(&keep) {
                problems.add(d);
            }
            let files: Vec<&PlannedFile> = files.iter().map(|&k| &p.files[k]).collect();
            render::render_some(p, &pages, &files, renderer, staging, problems);
            written += pages.len() + files.len() + keep.len();
            for &e in entries {
                for v in site.entries[e].versions.values() {
                    v.body_html.release();
                }
            }
        });
    for &e in &p.search.docs {
        for &k in &pages_of[e] {
            done[k] = true;
        }
    }
    let shards: Vec<&PlannedFile> = p
        .files
        .iter()
        .filter(|f| matches!(f.kind, FileKind::Search(SearchFile::Shard { .. })))
        .collect();
    render::render_some(p, &[], &shards, renderer, staging, problems);
    written += shards.len();
    plan.files.retain(|f| !search_file(f));
    plan.search.forget_shards();
    (done, written, None)
}

/// The repository's sample site, loaded, for unit tests that need a whole site.
#[cfg(test)]
pub(crate) fn sample_site() -> Loaded {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    load_site(&BuildOptions::new(root)).unwrap_or_else(|_| panic!("the sample site loads"))
}

/// Build the site into its output folder. With any error nothing is written.
pub fn build(opts: &BuildOptions) -> Result<Summary, Failure> {
    let start = Instant::now();
    let output = opts
        .output
        .clone()
        .unwrap_or_else(|| opts.root.join("output"));
    let out = sink::disk::check_output_path(&opts.root, &output)
        .map_err(|d| Failure::new(vec![d], SourceMap::default()))?;
    let mut trace = trace::Trace::new();
    let rebuild = sink::disk::has_staging(&out);
    // What the staging folder (the output before last) holds is surveyed while the site
    // loads, on one thread, once the content files are read: reading and checking them keeps
    // every core busy, the phases after them mostly one (at 4,016 entries, walking both
    // folders at once took longer than walking one after the other).
    let (found, loaded) = std::thread::scope(|s| {
        let (read, wait) = std::sync::mpsc::channel::<()>();
        let out = &out;
        let found = s.spawn(move || {
            // The site failed to load before its files were read: nothing to survey for.
            if wait.recv().is_err() {
                return sink::disk::Found::default();
            }
            match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
                Ok(one) => one.install(|| sink::disk::Found::look(out)),
                Err(_) => sink::disk::Found::look(out),
            }
        });
        let loaded = load_site_traced(opts, &mut trace, true, rebuild, Some(read));
        (found.join().unwrap_or_default(), loaded)
    });
    let loaded = loaded?;
    trace.mark("survey");
    let fail = |d: Vec<Diagnostic>, sources: SourceMap| Failure::new(d, sources);
    let (mut plan, diags) = plan::plan(&loaded.site, &opts.root);
    if !diags.is_empty() {
        return Err(fail(diags, loaded.sources));
    }
    trace.mark("plan");
    // Open Graph crops are outputs like the thumbnails: known before anything is written.
    render::pictures::make_og_crops(&loaded.site, &plan.pages);
    let early = loaded.site.images.derived_outputs();
    plan.copies
        .extend(early.iter().map(|(to, from, sum)| plan::Copy {
            from: from.clone(),
            to: to.clone(),
            sum: Some(*sum),
        }));
    trace.mark("open graph crops");
    // Pages are written as they are rendered, into a staging folder that replaces the old
    // output only when everything succeeded.
    let mut staging =
        sink::disk::Staging::begin(&out, found).map_err(|d| fail(vec![d], SourceMap::default()))?;
    let file_paths: Vec<String> = (plan.files.iter())
        .map(|f| model::urls::output_file(&f.site_path))
        .collect();
    let copies = plan.copies.iter().map(|c| c.to.as_str());
    let copies_at = plan.page_files.len() + file_paths.len();
    // The staging folder is brought in line with the plan while the pages are signed: the
    // signatures come from the model alone, and pruning the folder leaves a core idle for a
    // good part of its time (its maps are filled on one thread). The theme is hashed before
    // the renderer reads it: a template edited in between makes the next build render
    // again, never keep a page rendered with another template.
    let (prepared, (signed, cards)) = rayon::join(
        || {
            staging.prepare(
                (plan.page_files.iter().chain(&file_paths))
                    .map(String::as_str)
                    .chain(copies),
            )
        },
        || {
            let theme = serve::engine::template_hashes(&opts.root, &loaded.site.config.theme);
            // The cards' hashes kept between builds: their index read beside the pruning too.
            let cards = serve::signature::FieldsKnown::store(&opts.root, loaded.inputs.config);
            let site = &loaded.site;
            let signed = render::reuse::Signed::sign(site, &plan, &loaded.inputs, theme, &cards);
            (signed, cards)
        },
    );
    let cards_written = cards.finish();
    prepared.map_err(|d| fail(vec![d], SourceMap::default()))?;
    drop(file_paths);
    trace.mark("prune+dirs+sign");
    // Pages whose signature is unchanged are kept as the output has them, not rendered.
    let reuse = render::reuse::Reuse::decide(
        &loaded.site,
        &plan,
        signed,
        staging.previous_pages(),
        &|i, p| staging.output_hash(p, Some(i)),
    );
    // The pages' output files, taken out of the plan for the rest of the build: the kept
    // pages' list borrows them while writing the search index changes the plan.
    let page_files = std::mem::take(&mut plan.page_files);
    // With their places in the list the staging folder was prepared with (see
    // `Staging::prepare`): the pages first, then the files, then the copies.
    let kept: Vec<(usize, &str, u128)> = (page_files.iter().zip(&reuse.kept).enumerate())
        .filter_map(|(i, (p, k))| Some((i, p.as_str(), (*k)?)))
        .collect();
    // The search documents' files are signed like pages (and taken out of the plan once
    // written): their records are kept for the next build now.
    let file_records: Vec<(String, sink::disk::PageRecordParts)> = (plan.files.iter())
        .zip(reuse.file_signatures.iter().zip(&reuse.files_kept))
        .filter_map(|(f, (sig, kept))| {
            let parts = sink::disk::PageRecordParts {
                signature: (*sig)?,
                asked: Vec::new(),
                hash: *kept,
            };
            Some((model::urls::output_file(&f.site_path), parts))
        })
        .collect();
    // Feeds and open data whose signature is unchanged are kept as the output has them.
    let kept_files: std::collections::HashMap<String, u128> = (plan.files.iter())
        .zip(&reuse.files_kept)
        .filter(|(f, _)| !matches!(f.kind, plan::FileKind::Search(_)))
        .filter_map(|(f, k)| Some((f.site_path.clone(), (*k)?)))
        .collect();
    trace.mark("keep");
    // Entry pages first, without cards, written as their documents stream into the search
    // index, which lets go of each body's HTML once written; then the index's shards. A
    // large site's body HTML, its index and its cards are so never all held at once.
    let renderer = match render::Renderer::without_cards(&loaded.site, &opts.root) {
        Ok(r) => r,
        Err(d) => return Err(fail(d, loaded.sources)),
    };
    let problems = render::Problems::default();
    let (done, streamed, search_patched) = write_entries_and_search(
        &loaded.site,
        &mut plan,
        &renderer,
        &staging,
        &reuse,
        &problems,
    );
    trace.mark("search index+entry pages");
    let pages: Vec<&plan::PlannedPage> = (plan.pages.iter().zip(&done).zip(&reuse.kept))
        .filter(|((_, done), kept)| !**done && kept.is_none())
        .map(|((p, _), _)| p)
        .collect();
    // Every entry's cards are made only if a page that may show cards is still to render (a
    // rebuild after a body edit renders the entry's pages alone).
    let entry_pages_only = (pages.iter()).all(|p| matches!(p.kind, plan::PageKind::Entry(_)));
    let renderer = match entry_pages_only {
        true => renderer,
        false => match renderer.with_cards() {
            Ok(r) => r,
            Err(d) => return Err(fail(d, loaded.sources)),
        },
    };
    trace.mark("renderer");
    let (kept_files, files): (Vec<_>, Vec<_>) = (plan.files.iter())
        .map(|f| (f, kept_files.get(&f.site_path).copied()))
        .partition(|(_, k)| k.is_some());
    let kept_files: Vec<(String, u128)> = (kept_files.into_iter())
        .map(|(f, k)| (model::urls::output_file(&f.site_path), k.unwrap_or(0)))
        .collect();
    let files: Vec<&plan::PlannedFile> = files.into_iter().map(|(f, _)| f).collect();
    let ((), copied) = rayon::join(
        || render::render_some(&plan, &pages, &files, &renderer, &staging, &problems),
        || {
            (plan.copies.par_iter().enumerate())
                .try_for_each(|(i, c)| staging.copy_at(&opts.root, c, Some(copies_at + i)))
                .and_then(|()| staging.keep_at(&kept))
                .and_then(|()| staging.keep(&kept_files))
        },
    );
    if let Err(d) = copied {
        problems.add(d);
    }
    // Images templates asked for while rendering (`resize_image`).
    let mut derived = loaded.site.images.derived_outputs();
    derived.retain(|d| !early.contains(d));
    for (to, from, sum) in &derived {
        let c = plan::Copy {
            from: from.clone(),
            to: to.clone(),
            sum: Some(*sum),
        };
        if let Err(d) = staging.copy(&opts.root, &c) {
            problems.add(d);
        }
    }
    let written = problems
        .result(
            streamed
                + pages.len()
                + files.len()
                + kept_files.len()
                + plan.copies.len()
                + derived.len()
                + kept.len(),
        )
        .map_err(|d| fail(d, loaded.sources))?;
    trace.mark("render+write");
    // What each page was rendered from, for the next build.
    // Made on every core: a path and a lookup for each of 220,000 pages at 100,000 entries.
    // A page or file kept as the output has it holds the bytes it was kept with: its hash
    // is known without the files' records.
    let mut records: Vec<(String, sink::disk::PageRecordParts)> =
        loaded.site.images.asks_of(|asked_by| {
            (page_files
                .par_iter()
                .zip(reuse.signatures.par_iter().zip(&reuse.kept)))
            .map(|(path, (sig, kept))| {
                let parts = sink::disk::PageRecordParts {
                    signature: *sig,
                    asked: asked_by(path),
                    hash: *kept,
                };
                (path.clone(), parts)
            })
            .collect()
        });
    records.extend(file_records);
    let surveyed_ahead = staging.surveyed_ahead();
    let changes = staging
        .commit(records)
        .map_err(|d| fail(vec![d], SourceMap::default()))?;
    trace.mark("swap");
    // The cache keeps what this build used; a failed prune only leaves files behind.
    let _ = loaded.site.images.cache.prune();
    trace.mark("prune image cache");
    trace.print();
    if std::env::var_os("GAZETTE_TRACE").is_some() {
        eprintln!(
            "pages: {} rendered, {} kept",
            plan.pages.len() - kept.len(),
            kept.len()
        );
        eprintln!(
            "files: {} written, {} unchanged, {} removed; {}",
            changes.written,
            changes.unchanged,
            changes.removed,
            if changes.swapped {
                "swapped in"
            } else {
                "not swapped: output/ already was the new site"
            }
        );
        let shown: Vec<&str> = files
            .iter()
            .take(12)
            .map(|f| f.site_path.as_str())
            .collect();
        eprintln!("generated files rendered: {} {shown:?}", files.len());
        match search_patched {
            Some(n) => eprintln!("search: {n} shard files patched, the others kept"),
            None => eprintln!("search: index built whole"),
        }
        match surveyed_ahead {
            Some(n) => eprintln!("staging folder: surveyed ahead, {n} names not as recorded"),
            None => eprintln!("staging folder: surveyed by this build"),
        }
    }
    let summary = Summary {
        entries: loaded.site.entries.len(),
        releases: loaded.site.releases.len(),
        pages: plan.pages.len(),
        rendered: plan.pages.len() - kept.len(),
        files: written,
        changes,
        held_back: loaded.site.held_back,
        search_patched,
        matches_reused: loaded.matches_reused,
        bodies_reused: loaded.bodies_reused,
        fields_reused: loaded.fields_reused,
        sources: loaded.known,
        surveyed_ahead,
        files_rendered: files.iter().map(|f| f.site_path.clone()).collect(),
        warnings: loaded.warnings,
        elapsed: start.elapsed(),
        output: out,
    };
    // The model, the plan and the cards are freed while the caller goes on (a process that
    // exits first just exits).
    let prepared = renderer.prepared();
    drop((renderer, pages, files));
    let site = loaded.site;
    memory::free_later((prepared, plan, site));
    // The logs of kept work are in place before the build says it is done.
    drop((loaded.writing, cards_written));
    Ok(summary)
}
