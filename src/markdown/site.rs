//! Rendering every body of the site (entries, release introductions, pages) in parallel and
//! storing the HTML in the model; link problems become diagnostics at file:line:col.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use crate::serve::signature::sig_hasher;

use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostics::{Diagnostic, Problem, Severity};
use crate::load::Body;
use crate::load::source::SourceFile;
use crate::markdown::store::BodyStore;
use crate::markdown::{Resolver, render, resolve};
use crate::model::Site;
use crate::model::html::Html;
use crate::model::ids::Lang;

enum Slot {
    Entry(usize, Lang),
    Intro(usize, Lang),
    Page(usize, Lang),
    /// Item `1` of collection `0`.
    Item(usize, usize, Lang),
}

pub(crate) fn folder_in_content(source: &SourceFile) -> String {
    crate::images::uses::folder_in_content(&source.path)
}

/// A body's HTML and problems, and the fingerprint of each image it names (see
/// `Images::fingerprint`), as it was rendered.
type CachedBody = (Arc<str>, Vec<Diagnostic>, Vec<(String, u64)>);

/// Rendered bodies kept between rebuilds (`serve`), keyed by everything the HTML depends on:
/// the text, its place and the link targets, and the images it names (checked against
/// their fingerprints, so a replaced image renders again only the bodies that name it).
#[derive(Default)]
pub struct BodyCache {
    entries: HashMap<u64, CachedBody>,
    /// The files whose bodies name each raster file (path relative to `content/`).
    users: HashMap<String, Vec<std::path::PathBuf>>,
}

impl BodyCache {
    /// The source files (paths from the site root) of the bodies that name the raster file
    /// `rel` (relative to `content/`), as of the last [`render_all_cached`].
    pub fn users_of(&self, rel: &str) -> &[std::path::PathBuf] {
        self.users.get(rel).map_or(&[], Vec::as_slice)
    }
}

/// Render one body written in `source`; its HTML and the problems found in its links and
/// file references, at their place in the file.
pub fn render_body(
    source: &SourceFile,
    body: &Body,
    lang: &Lang,
    resolver: &Resolver<'_>,
    unsafe_html: bool,
) -> (Arc<str>, Vec<Diagnostic>) {
    let (html, diags, _) = render_body_noting(source, body, lang, resolver, unsafe_html);
    (html, diags)
}

/// [`render_body`], also giving the raster files (relative to `content/`) the body names.
pub fn render_body_noting(
    source: &SourceFile,
    body: &Body,
    lang: &Lang,
    resolver: &Resolver<'_>,
    unsafe_html: bool,
) -> (Arc<str>, Vec<Diagnostic>, Vec<String>) {
    let folder = folder_in_content(source);
    let r = render(body.text(), &folder, lang, resolver, unsafe_html);
    let diags = r
        .problems
        .into_iter()
        .map(|(span, p)| {
            let warning = matches!(p, Problem::MissingAlt { .. });
            let mut d = source.diagnostic(p, (span.start + body.offset)..(span.end + body.offset));
            if warning {
                d.severity = Severity::Warning;
            }
            d
        })
        .collect();
    (Arc::from(r.html), diags, r.images)
}

/// Bodies rendered at a time by [`render_all`]: enough to keep every core busy, few enough
/// that dropping their source texts as it goes keeps the texts and the HTML of a large site
/// from being held both at once.
const CHUNK: usize = 4096;

/// Render all bodies, for a one-off build (nothing is cached); returns the problems found
/// in links and file references. With `drop_texts`, each entry's and page's source text
/// and Markdown body are dropped as soon as its HTML is stored (paths stay): a build needs
/// neither after this (its reports read the files again), and holding every text and every
/// body's HTML at once would be a large site's peak of memory.
///
/// With `store` (and the link targets' epoch, see `Resolver::epoch`), bodies the last build
/// kept there (see [`super::store`]) are read back when their key and images are unchanged,
/// and the bodies rendered without a problem are kept for the next build.
pub fn render_all(
    site: &mut Site,
    withheld: &HashSet<String>,
    invalid: &HashSet<String>,
    drop_texts: bool,
    store: Option<(&BodyStore, u64)>,
) -> Vec<Diagnostic> {
    let slots = slots(site);
    let targets = resolve::Targets::of(site);
    let unsafe_html = site.config.unsafe_html;
    let mut diags = Vec::new();
    let empty: Arc<str> = Arc::from("");
    let files = site.assets.clone();
    let assets = Arc::new(crate::load::discover::asset_set(&files));
    for chunk in slots.chunks(CHUNK) {
        let resolver = Resolver::sharing(site, targets.clone(), assets.clone(), withheld, invalid);
        let site_ref: &Site = site;
        let images = &site_ref.images;
        let results: Vec<(Html, Vec<Diagnostic>)> = chunk
            .par_iter()
            .map(|slot| {
                let Some((source, body, lang)) = slot.input(site_ref) else {
                    return Default::default();
                };
                let Some((store, epoch)) = store else {
                    let (html, d) = render_body(source, body, lang, &resolver, unsafe_html);
                    return (Html::Own(html), d);
                };
                let key = body_key(source, body, lang, epoch, unsafe_html);
                if let Some((html, used)) = store.get(key)
                    && images_unchanged(images, &used)
                {
                    return (html, Vec::new());
                }
                let (html, d, used) =
                    render_body_noting(source, body, lang, &resolver, unsafe_html);
                if d.is_empty() {
                    store.put(key, &html, &fingerprinted(images, used));
                }
                (Html::Own(html), d)
            })
            .collect();
        drop(resolver);
        for (slot, (html, d)) in chunk.iter().zip(results) {
            diags.extend(d);
            slot.store(site, html, drop_texts.then_some(&empty));
        }
    }
    diags
}

/// The key of a body's HTML: everything it is rendered from but the images it names (checked
/// apart, by their fingerprints): its text and place, its folder, its language, the link
/// targets (`epoch`) and whether raw HTML is kept.
fn body_key(source: &SourceFile, body: &Body, lang: &Lang, epoch: u64, unsafe_html: bool) -> u64 {
    let mut h = sig_hasher();
    let folder = folder_in_content(source);
    // The body's identity, not its text: a file known by its fingerprint is not read.
    (
        body.identity(),
        body.offset,
        &folder,
        lang,
        epoch,
        unsafe_html,
    )
        .hash(&mut h);
    source.path.hash(&mut h);
    h.finish()
}

/// The raster files a body names (relative to `content/`), each with its fingerprint now.
fn fingerprinted(images: &crate::images::Images, used: Vec<String>) -> Vec<(String, u64)> {
    (used.into_iter())
        .map(|rel| {
            let f = images.fingerprint(&rel);
            (rel, f)
        })
        .collect()
}

/// Whether every image a kept body named still has the fingerprint it was rendered with.
fn images_unchanged(images: &crate::images::Images, used: &[(String, u64)]) -> bool {
    (used.iter()).all(|(rel, f)| images.fingerprint(rel) == *f)
}

/// Every body of the site with its file and language, in model order.
pub(crate) fn bodies(site: &Site) -> Vec<(&SourceFile, &Body, &Lang)> {
    slots(site).iter().filter_map(|s| s.input(site)).collect()
}

/// Every body of the site, in model order.
fn slots(site: &Site) -> Vec<Slot> {
    let mut slots = Vec::new();
    for (i, e) in site.entries.iter().enumerate() {
        slots.extend(e.versions.keys().map(|l| Slot::Entry(i, l.clone())));
    }
    for (i, r) in site.releases.iter().enumerate() {
        for (l, t) in &r.text {
            if t.intro.is_some() {
                slots.push(Slot::Intro(i, l.clone()));
            }
        }
    }
    for (i, p) in site.pages.iter().enumerate() {
        slots.extend(p.versions.keys().map(|l| Slot::Page(i, l.clone())));
    }
    for (c, col) in site.collections.iter().enumerate() {
        for (i, item) in col.items.iter().enumerate() {
            slots.extend(item.versions.keys().map(|l| Slot::Item(c, i, l.clone())));
        }
    }
    slots
}

impl Slot {
    /// The file, body and language of this body (every slot of [`slots`] has them).
    fn input<'s>(&self, site: &'s Site) -> Option<(&'s SourceFile, &'s Body, &'s Lang)> {
        match self {
            Slot::Entry(i, l) => {
                let (l, v) = site.entries.get(*i)?.versions.get_key_value(l)?;
                Some((&v.source, &v.body, l))
            }
            Slot::Intro(i, l) => {
                let (l, t) = site.releases.get(*i)?.text.get_key_value(l)?;
                let (src, body) = t.intro.as_ref()?;
                Some((src, body, l))
            }
            Slot::Page(i, l) => {
                let (l, v) = site.pages.get(*i)?.versions.get_key_value(l)?;
                Some((&v.source, &v.body, l))
            }
            Slot::Item(c, i, l) => {
                let item = site.collections.get(*c)?.items.get(*i)?;
                let (l, v) = item.versions.get_key_value(l)?;
                Some((&v.source, &v.body, l))
            }
        }
    }

    /// Store the HTML of this body; with `empty`, replace its source text and body by it.
    fn store(&self, site: &mut Site, html: impl Into<Html>, empty: Option<&Arc<str>>) {
        let html = html.into();
        let drop = |source: &mut SourceFile, body: &mut Body| {
            if let Some(empty) = empty {
                source.forget_text(empty);
                *body = Body::default();
            }
        };
        match self {
            Slot::Entry(i, l) => {
                if let Some(v) = Arc::make_mut(&mut site.entries[*i]).versions.get_mut(l) {
                    v.body_html.set(html);
                    drop(&mut v.source, &mut v.body);
                }
            }
            Slot::Intro(i, l) => {
                if let Some(t) = site.releases[*i].text.get_mut(l) {
                    t.intro_html = html.as_str().to_string();
                }
            }
            Slot::Page(i, l) => {
                if let Some(v) = site.pages[*i].versions.get_mut(l) {
                    v.body_html = html.as_str().to_string();
                    drop(&mut v.source, &mut v.body);
                }
            }
            Slot::Item(c, i, l) => {
                let col = &mut Arc::make_mut(&mut site.collections)[*c];
                if let Some(v) = Arc::make_mut(&mut col.items[*i]).versions.get_mut(l) {
                    v.body_html.set(html);
                    drop(&mut v.source, &mut v.body);
                }
            }
        }
    }
}

/// `render_all`, reusing bodies from `cache` whose text, folder, language and link targets
/// are unchanged and whose images are as they were. The cache keeps only what this run used.
pub fn render_all_cached(
    site: &mut Site,
    withheld: &HashSet<String>,
    invalid: &HashSet<String>,
    cache: &mut BodyCache,
) -> Vec<Diagnostic> {
    let slots = slots(site);
    let resolver = Resolver::new(site, withheld, invalid);
    let unsafe_html = site.config.unsafe_html;
    let epoch = resolver.epoch();
    let previous = &cache.entries;
    let images = &site.images;
    let results: Vec<(u64, CachedBody)> = slots
        .par_iter()
        .map(|slot| {
            let Some((source, body, lang)) = slot.input(site) else {
                return Default::default();
            };
            let key = body_key(source, body, lang, epoch, unsafe_html);
            if let Some(cached) = previous.get(&key)
                && images_unchanged(images, &cached.2)
            {
                return (key, cached.clone());
            }
            let (html, diags, used) =
                render_body_noting(source, body, lang, &resolver, unsafe_html);
            (key, (html, diags, fingerprinted(images, used)))
        })
        .collect();
    drop(resolver);
    let mut diags = Vec::new();
    let mut kept = HashMap::with_capacity(results.len());
    let mut users: HashMap<String, Vec<std::path::PathBuf>> = HashMap::new();
    for (slot, (key, (html, d, used))) in slots.iter().zip(results) {
        if let Some((source, _, _)) = slot.input(site) {
            for (rel, _) in &used {
                users
                    .entry(rel.clone())
                    .or_default()
                    .push(source.path.clone());
            }
        }
        diags.extend(d.iter().cloned());
        kept.insert(key, (html.clone(), d, used));
        slot.store(site, html, None);
    }
    cache.entries = kept;
    cache.users = users;
    diags
}
