//! The incremental build behind `gazette serve`: the same load → validate → model → plan →
//! render pipeline as `build`, with caches in between. Unchanged files are not re-read or
//! re-checked, unchanged bodies are not re-rendered, and a page is rendered again only when
//! its signature (everything it shows) changed. Generated files (feeds, sitemaps, open data)
//! are rendered when first asked for. Nothing is written to disk.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::diagnostics::{Diagnostic, SourceMap};
use crate::load::discover::{ContentFile, ContentKind, discover};
use crate::load::source::SourceFile;
use crate::markdown::resolve::Targets;
use crate::markdown::site::{BodyCache, render_all_cached};
use crate::model::assemble::{ModelOptions, assemble};
use crate::model::urls::output_file;
use crate::render::Renderer;
use crate::render::context::Prepared;
use crate::serve::packed::Packed;
use crate::serve::signature::Signer;
pub use crate::serve::snapshot::{Served, Snapshot, materialize};
use crate::trace::Trace;
use crate::validate::documents::{Doc, check_file};
use crate::{Failure, config};

pub(super) type Checked = (Option<Doc>, Option<SourceFile>, Vec<Diagnostic>);
type Stamp = Option<(SystemTime, u64)>;
/// A page after signing: output path, signature, bytes, and whether it was rendered now.
type SignedPage = (String, u64, Packed, bool);

pub(super) struct CachedDoc {
    pub stamp: (SystemTime, u64),
    pub hash: u64,
    pub result: Checked,
}

/// What one rebuild did.
#[derive(Debug, Clone)]
pub struct Report {
    pub pages: usize,
    pub rendered: usize,
    pub files_checked: usize,
    pub elapsed: Duration,
    /// Only stylesheets changed: pages can swap them without a reload.
    pub css_only: bool,
    /// The fast path patched edited entries into the last site (`fast_path.rs`).
    pub patched: bool,
}

/// The caches and the current snapshot.
pub struct Engine {
    pub(super) root: PathBuf,
    base_url: String,
    pub(super) docs: HashMap<PathBuf, CachedDoc>,
    pub(super) bodies: BodyCache,
    pub(super) current: Option<Arc<Snapshot>>,
    /// Hashes of static files, to tell CSS-only changes apart.
    statics: HashMap<String, u64>,
    /// What the last full rebuild kept for the fast path (`fast_path.rs`).
    pub(super) last: Option<LastFull>,
    /// Images templates asked for (Open Graph crops, `resize_image`) by output path: a
    /// page not rendered again still links to what an earlier rebuild made.
    pub(super) derived: HashMap<String, (crate::images::Derived, PathBuf)>,
    /// The images made on request (see `images::asks`) that each page of the last full
    /// rebuild asked for, by the page's output path: a page whose signature is unchanged is
    /// kept only while they are made from the same sources (a theme's `resize_image` of a
    /// photo that was replaced renders the page again).
    pub(super) asks: HashMap<String, Vec<crate::images::Derived>>,
    /// The same for the pages rendered since by a fast path (`image_path.rs`).
    pub(super) patched_asks: HashMap<String, Vec<crate::images::Derived>>,
}

/// What the last full rebuild leaves for patching single entries into its site.
pub(super) struct LastFull {
    /// Every file under content/ by path (relative to the root).
    pub files: HashMap<PathBuf, ContentFile>,
    /// Held-back and invalid link targets, for resolving links in re-rendered bodies.
    pub withheld: HashSet<String>,
    pub invalid: HashSet<String>,
    /// Link targets of the site (the fast path changes no entry's identity).
    pub targets: Arc<Targets>,
    pub prepared: Arc<Prepared>,
    /// What matching built, kept up to date by the fast path (`market_path.rs`); `None`
    /// for a site that does not match, or after a fast path failed half-way.
    pub rematch: Option<crate::model::rematch::Rematch>,
}

impl LastFull {
    /// The files a fast path patches for the reported `changed` paths, by path relative to
    /// `root`, sorted, once each: every path must be a known file that still exists and
    /// whose kind `accept`s (else `refused`), or a file that neither existed before nor
    /// exists now (an editor's temporary file, skipped).
    pub(super) fn edited_files(
        &self,
        changed: &[PathBuf],
        root: &Path,
        refused: &'static str,
        accept: impl Fn(&ContentKind) -> bool,
    ) -> Result<Vec<(PathBuf, ContentFile)>, &'static str> {
        let mut edited = Vec::new();
        for p in changed {
            let rel = (p.strip_prefix(root))
                .map_err(|_| "a path outside the site")?
                .to_path_buf();
            let exists = p.exists();
            match self.files.get(&rel) {
                None if !exists || p.is_dir() => continue,
                None => return Err("a new file"),
                Some(_) if !exists => return Err("a file was removed"),
                Some(f) if accept(&f.kind) => edited.push((rel, f.clone())),
                Some(_) => return Err(refused),
            }
        }
        edited.sort_by(|a: &(PathBuf, ContentFile), b| a.0.cmp(&b.0));
        edited.dedup_by(|a, b| a.0 == b.0);
        Ok(edited)
    }
}

pub(super) fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

pub(super) fn hash_bytes(b: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    b.hash(&mut h);
    h.finish()
}

/// The hash of each template of the theme and the site (by name) and of the theme's
/// strings: what page signatures depend on besides the model (see `signature`).
pub(crate) fn template_hashes(root: &Path, theme: &str) -> (HashMap<String, u64>, u64) {
    let mut out = HashMap::new();
    for dir in [
        PathBuf::from("themes").join(theme).join("templates"),
        PathBuf::from("templates"),
    ] {
        let full = root.join(&dir);
        for e in WalkDir::new(&full)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
        {
            if !e.file_type().is_file() {
                continue;
            }
            let Ok(rel) = e.path().strip_prefix(&full) else {
                continue;
            };
            let name = rel.to_string_lossy().replace('\\', "/");
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            out.insert(name, hash_bytes(&bytes));
        }
    }
    let strings =
        std::fs::read(root.join("themes").join(theme).join("strings.toml")).unwrap_or_default();
    (out, hash_bytes(&strings))
}

impl Engine {
    /// An engine for the site at `root`, served at `base_url` (e.g. `http://127.0.0.1:1111/`).
    pub fn new(root: &Path, base_url: &str) -> Engine {
        Engine {
            root: root.to_path_buf(),
            base_url: base_url.to_string(),
            docs: HashMap::new(),
            bodies: BodyCache::default(),
            current: None,
            statics: HashMap::new(),
            derived: HashMap::new(),
            asks: HashMap::new(),
            patched_asks: HashMap::new(),
            last: None,
        }
    }

    /// The last good snapshot, if any rebuild succeeded.
    pub fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.current.clone()
    }

    /// Bring the snapshot up to date with the files on disk. On failure the previous
    /// snapshot stays current.
    pub fn rebuild(&mut self) -> Result<Report, Failure> {
        let start = Instant::now();
        let mut trace = Trace::new();
        let root = self.root.clone();
        let fail = |d: Vec<Diagnostic>, s: SourceMap| Failure::from_diagnostics(d, s);
        let (mut config, config_source) =
            config::load(&root).map_err(|d| fail(d, SourceMap::default()))?;
        config.base_url = config::BaseUrl::parse(&self.base_url).unwrap_or(config.base_url);
        let mut sources = SourceMap::default();
        sources.insert(config_source.path.clone(), config_source.text().clone());

        // Load and check only files whose size or modification time changed.
        trace.mark("config");
        let found = discover(&root, &config);
        let mut diags = found.problems;
        let config_changed = {
            let h = hash_bytes(config_source.text().as_bytes());
            let changed = self
                .docs
                .get(Path::new("site.toml"))
                .is_none_or(|c| c.hash != h);
            self.docs.insert(
                PathBuf::from("site.toml"),
                CachedDoc {
                    stamp: (SystemTime::UNIX_EPOCH, 0),
                    hash: h,
                    result: (None, None, Vec::new()),
                },
            );
            changed
        };
        if config_changed {
            self.docs.retain(|p, _| p == Path::new("site.toml"));
        }
        let todo: Vec<usize> = found
            .files
            .iter()
            .enumerate()
            .filter(|(_, f)| f.kind != ContentKind::Asset)
            .filter(|(_, f)| {
                let s = stamp(&root.join(&f.path));
                self.docs.get(&f.path).is_none_or(|c| Some(c.stamp) != s)
            })
            .map(|(i, _)| i)
            .collect();
        let checked: Vec<(usize, Stamp, Checked)> = todo
            .par_iter()
            .map(|&i| {
                let f = &found.files[i];
                let s = stamp(&root.join(&f.path));
                (i, s, check_file(&root, f, &config))
            })
            .collect();
        let files_checked = checked.len();
        for (i, s, result) in checked {
            let f = &found.files[i];
            let hash = result
                .1
                .as_ref()
                .map_or(0, |src| hash_bytes(src.text().as_bytes()));
            self.docs.insert(
                f.path.clone(),
                CachedDoc {
                    stamp: s.unwrap_or((SystemTime::UNIX_EPOCH, 0)),
                    hash,
                    result,
                },
            );
        }
        let present: HashSet<&PathBuf> = found.files.iter().map(|f| &f.path).collect();
        self.docs
            .retain(|p, _| p == Path::new("site.toml") || present.contains(p));

        let mut docs = Vec::new();
        let mut invalid = HashSet::new();
        for f in &found.files {
            let Some(c) = self.docs.get(&f.path) else {
                continue;
            };
            let (doc, source, d) = &c.result;
            if let Some(s) = source {
                sources.insert(s.path.clone(), s.text().clone());
            }
            diags.extend(d.iter().cloned());
            match (doc, &f.kind) {
                (Some(doc), _) => docs.push(doc.clone()),
                (
                    None,
                    ContentKind::Entry {
                        release,
                        slug,
                        lang,
                        ..
                    },
                ) if *lang == config.default_language => {
                    invalid.insert(format!("releases/{release}/{slug}"));
                }
                (None, ContentKind::Page { slug, lang }) if *lang == config.default_language => {
                    invalid.insert(format!("pages/{slug}"));
                }
                _ => {}
            }
        }
        let assets = found
            .files
            .iter()
            .filter(|f| f.kind == ContentKind::Asset)
            .cloned()
            .collect();
        let files_by_path: HashMap<PathBuf, ContentFile> = found
            .files
            .iter()
            .map(|f| (f.path.clone(), f.clone()))
            .collect();
        let options = ModelOptions {
            include_held: true,
            now: jiff::Timestamp::now(),
            matching: crate::model::assemble::MatchingRun::Keep,
        };
        trace.mark("load+check");
        let assets: Vec<ContentFile> = assets;
        let (images, d) = crate::images::Images::process(&root, &config.images, &assets);
        diags.extend(d);
        trace.mark("images");
        let (mut assembled, d) = assemble(&config, docs, assets, options, &invalid);
        diags.extend(d);
        assembled.site.images = Arc::new(images);
        diags.extend(crate::images::uses::check(&assembled.site, &root));
        trace.mark("assemble");
        diags.extend(render_all_cached(
            &mut assembled.site,
            &assembled.withheld,
            &assembled.invalid,
            &mut self.bodies,
        ));
        let errors: Vec<Diagnostic> = diags.into_iter().filter(Diagnostic::is_error).collect();
        if !errors.is_empty() {
            return Err(fail(errors, sources));
        }
        let matching = assembled.matching.take();
        let site = assembled.site;
        let rematch = matching.map(|state| {
            crate::model::rematch::Rematch::new(state, site.entries.len(), &site.collections)
        });
        let (mut plan, d) = crate::plan::plan(&site, &root);
        if !d.is_empty() {
            return Err(fail(d, sources));
        }
        // Search shards are cut from per-entry token lists: keep those of unchanged entries.
        plan.search
            .reuse(self.current.as_ref().map(|s| &s.plan.search));
        trace.mark("markdown+plan");
        let renderer = Renderer::new(&site, &root).map_err(|d| fail(d, SourceMap::default()))?;

        // Sign every page; render only those whose signature changed.
        let (templates, strings) = template_hashes(&root, &site.config.theme);
        let (mut epoch, targets) = {
            let r = crate::markdown::Resolver::new(&site, &assembled.withheld, &assembled.invalid);
            (r.epoch(), r.targets())
        };
        if crate::serve::signature::shared_templates_make_images(&root, &site.config.theme) {
            epoch ^= site.images.fingerprint_all();
        }
        let inputs = hash_bytes(
            format!(
                "{:?}{}{}",
                self.docs.get(Path::new("site.toml")).map(|c| c.hash),
                strings,
                epoch
            )
            .as_bytes(),
        );
        let file_hash = |p: &Path| self.docs.get(p).map_or(0, |c| c.hash);
        trace.mark("renderer+templates");
        let signer = Signer::new(&site, &file_hash, None, templates, inputs);
        trace.mark("signer");
        // Pages the fast path rendered since are not looked at: a page whose signature
        // equals the last full rebuild's shows what it showed then.
        let previous = self.current.as_ref().map(|s| &s.pages);
        let images = &site.images;
        let asks = &self.asks;
        let results: Vec<Result<SignedPage, Diagnostic>> = plan
            .pages
            .par_iter()
            .map(|p| {
                let path = output_file(&p.site_path);
                let sig = signer.sign(p);
                if let Some((old_sig, bytes)) = previous.and_then(|m| m.get(&path))
                    && *old_sig == sig
                    && (asks.get(&path)).is_none_or(|a| a.iter().all(|d| images.is_current(d)))
                {
                    return Ok((path, sig, bytes.clone(), false));
                }
                let html = images.for_page(&path, || renderer.render(p))?;
                Ok((path, sig, Packed::new(&html), true))
            })
            .collect();
        let mut pages = HashMap::with_capacity(results.len());
        let mut rendered = 0;
        let mut errors = Vec::new();
        // The asks of the pages as this rebuild leaves them (kept pages keep theirs).
        let mut new_asks = HashMap::new();
        for r in results {
            match r {
                Ok((path, sig, bytes, fresh)) => {
                    rendered += usize::from(fresh);
                    let asked: Vec<_> = if fresh {
                        (images.asked_by(&path).into_iter())
                            .map(|(d, _)| d)
                            .collect()
                    } else {
                        self.asks.get(&path).cloned().unwrap_or_default()
                    };
                    if !asked.is_empty() {
                        new_asks.insert(path.clone(), asked);
                    }
                    pages.insert(path, (sig, bytes));
                }
                Err(d) => {
                    if !errors.iter().any(|e: &Diagnostic| e.problem == d.problem) {
                        errors.push(d);
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(fail(errors, sources));
        }
        self.asks = new_asks;
        self.patched_asks.clear();
        let prepared = renderer.prepared();
        drop(renderer);
        let files = plan
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (output_file(&f.site_path), i))
            .collect();
        // Pages rendered again asked for their images again; the others' are kept while
        // their source is unchanged.
        if rendered == pages.len() {
            self.derived.clear();
        }
        for (d, file) in site.images.derived_made() {
            self.derived.insert(d.out.clone(), (d, file));
        }
        (self.derived).retain(|_, (d, file)| site.images.is_current(d) && file.is_file());
        let copies: HashMap<String, PathBuf> = (plan.copies.iter())
            .map(|c| (c.to.clone(), root.join(&c.from)))
            .chain(
                self.derived
                    .iter()
                    .map(|(to, (_, from))| (to.clone(), from.clone())),
            )
            .collect();
        trace.mark("render pages");
        // Which copied files changed, to allow a stylesheet swap instead of a reload.
        let mut statics = HashMap::new();
        let mut changed_copies = Vec::new();
        for (to, from) in &copies {
            // Size and modification time, not contents: reading every copied file on every
            // rebuild cost tens of milliseconds on a 4,016-entry site.
            let st = stamp(from).map(|(t, len)| hash_bytes(format!("{t:?}{len}").as_bytes()));
            let h = st.unwrap_or(0);
            if self.statics.get(to) != Some(&h) {
                changed_copies.push(to.clone());
            }
            statics.insert(to.clone(), h);
        }
        let removed = self.statics.keys().any(|k| !statics.contains_key(k));
        self.statics = statics;
        let css_only = rendered == 0
            && !removed
            && !changed_copies.is_empty()
            && changed_copies.iter().all(|p| p.ends_with(".css"))
            && self
                .current
                .as_ref()
                .is_some_and(|s| s.pages.len() == pages.len());
        let total = pages.len();
        trace.mark("statics");
        let search = plan.search.clone();
        let replaced = self.current.replace(Arc::new(Snapshot {
            site,
            plan: Arc::new(plan),
            search,
            pages: Arc::new(pages),
            patched: HashMap::new(),
            files: Arc::new(files),
            copies: Arc::new(copies),
            rendered_files: Mutex::new(HashMap::new()),
        }));
        // The reload need not wait for the last snapshot to be freed.
        crate::memory::free_later(replaced);
        self.last = Some(LastFull {
            files: files_by_path,
            withheld: assembled.withheld,
            invalid: assembled.invalid,
            targets,
            prepared,
            rematch,
        });
        trace.mark("snapshot");
        trace.print();
        Ok(Report {
            pages: total,
            rendered,
            files_checked,
            elapsed: start.elapsed(),
            css_only,
            patched: false,
        })
    }
}
