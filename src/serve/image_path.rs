//! The preview's rebuild after images were replaced (same paths, new bytes: a cover or a
//! figure saved again): only those images are processed again (the cache keys thumbnails
//! by content, so a photo seen before costs no encoding), the bodies that name them are
//! rendered again (`BodyCache::users_of`), and only the pages that show them: the pages of
//! entries whose cover or body it is, in every language, the lists that show those entries'
//! cards (their release page, the home page if it lists one, their term pages), standalone
//! pages whose body names it, and any page whose template asked for an image made from it
//! (`resize_image`, Open Graph crops). The thumbnails and crops of the old bytes are no
//! longer served. An image a release's cover, a release's introduction or a collection's
//! item shows, an image that cannot be processed, or any other file among the changes
//! leaves it to the other rebuilds (`fast_path.rs`, then the full incremental rebuild),
//! which stay the reference: tests compare every path with a fresh build.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rayon::prelude::*;

use crate::diagnostics::Diagnostic;
use crate::images::is_raster;
use crate::load::discover::{ContentFile, ContentKind};
use crate::markdown::Resolver;
use crate::markdown::site::render_body;
use crate::model::urls::output_file;
use crate::plan::PageKind;
use crate::render::Renderer;
use crate::render::pictures::{entry_cover_rel, release_cover_rel};
use crate::serve::engine::{Engine, Report, Snapshot};
use crate::serve::packed::Packed;
use crate::trace::Trace;

/// Home pages list the first entries of the newest release (see the home template).
const HOME_ENTRIES: usize = 12;

/// Do the changes name raster files only (besides files that are gone, an editor's
/// temporary files)? Then [`Engine::try_images`] is the rebuild to try.
pub(super) fn only_images(changed: &[PathBuf]) -> bool {
    let name = |p: &PathBuf| p.to_string_lossy().into_owned();
    changed.iter().any(|p| is_raster(&name(p)))
        && changed.iter().all(|p| is_raster(&name(p)) || !p.exists())
}

/// A body that names a replaced image: entry `i`'s version in a language, or standalone
/// page `i`'s.
enum BodyAt {
    Entry(usize, crate::model::ids::Lang),
    Page(usize, crate::model::ids::Lang),
}

impl Engine {
    /// The rebuild after raster files were replaced, or why it does not apply (nothing has
    /// been changed then).
    pub(super) fn try_images(&mut self, changed: &[PathBuf]) -> Result<Report, &'static str> {
        let start = Instant::now();
        let mut trace = Trace::new();
        let current = self.current.clone().ok_or("no previous build")?;
        let last = self.last.as_ref().ok_or("no previous build")?;
        let root = self.root.clone();

        // Every reported path is a raster file the last full rebuild had and that still
        // exists, or a file that neither existed before nor exists now.
        let mut replaced: Vec<ContentFile> = Vec::new();
        for p in changed {
            let rel = p
                .strip_prefix(&root)
                .map_err(|_| "a path outside the site")?;
            match last.files.get(rel) {
                None if !p.exists() || p.is_dir() => continue,
                None => return Err("a new file"),
                Some(_) if !p.is_file() => return Err("a file was removed"),
                Some(f) if f.kind == ContentKind::Asset && is_raster(&f.rel) => {
                    if !replaced.iter().any(|r| r.rel == f.rel) {
                        replaced.push(f.clone());
                    }
                }
                Some(_) => return Err("not an image file"),
            }
        }
        if replaced.is_empty() {
            return Err("no image changed");
        }
        let theme = &current.site.config.theme;
        if crate::serve::signature::shared_templates_make_images(&root, theme) {
            return Err("a card or shared template calls resize_image");
        }
        let old = &current.site;
        let rels: HashSet<&str> = replaced.iter().map(|f| f.rel.as_str()).collect();
        if (old.releases.iter())
            .any(|r| release_cover_rel(old, r).is_some_and(|c| rels.contains(c)))
        {
            return Err("a release's cover was replaced (every page may show it)");
        }
        // Which bodies name them.
        let mut bodies: Vec<BodyAt> = Vec::new();
        for f in &replaced {
            for path in self.bodies.users_of(&f.rel) {
                let body = match last.files.get(path).map(|f| &f.kind) {
                    Some(ContentKind::Entry {
                        release,
                        slug,
                        lang,
                        ..
                    }) => (old.entries.iter())
                        .position(|e| &e.release == release && &e.slug == slug)
                        .map(|i| BodyAt::Entry(i, lang.clone())),
                    Some(ContentKind::Page { slug, lang }) => (old.pages.iter())
                        .position(|p| &p.slug == slug)
                        .map(|i| BodyAt::Page(i, lang.clone())),
                    _ => return Err("an image named by a release or an item was replaced"),
                };
                bodies.push(body.ok_or("a body's document is not in the site")?);
            }
        }
        // Bodies the text fast path rendered since (`fast_path.rs`) may name them now and
        // are not in the body cache's index: render those again too, and keep what changed.
        for p in &current.plan.pages {
            if let PageKind::Entry(i) = p.kind
                && current.patched.contains_key(&output_file(&p.site_path))
            {
                for lang in old.entries[i].versions.keys() {
                    let known =
                        |b: &BodyAt| matches!(b, BodyAt::Entry(j, l) if *j == i && l == lang);
                    if !bodies.iter().any(known) {
                        bodies.push(BodyAt::Entry(i, lang.clone()));
                    }
                }
            }
        }
        trace.mark("check");

        // Process the images again; a failure is reported by the full rebuild.
        let images = Arc::new(old.images.replacing(&replaced));
        if (replaced.iter()).any(|f| !matches!(images.get(&f.rel), Some(Ok(_)))) {
            return Err("a replaced image could not be processed");
        }
        // Saved again with the same bytes: nothing shows anything new.
        if (replaced.iter()).all(|f| images.fingerprint(&f.rel) == old.images.fingerprint(&f.rel)) {
            return Ok(Report {
                pages: current.pages.len(),
                rendered: 0,
                files_checked: replaced.len(),
                elapsed: start.elapsed(),
                css_only: false,
                patched: true,
            });
        }
        trace.mark("images");
        let mut site = old.clone();
        site.images = images.clone();

        // Render the bodies that name them again, with the last full rebuild's link targets
        // (no document was added, removed or renamed).
        let resolver =
            Resolver::reusing(&site, last.targets.clone(), &last.withheld, &last.invalid);
        let unsafe_html = site.config.unsafe_html;
        let mut htmls = Vec::with_capacity(bodies.len());
        for b in &bodies {
            let (source, body, lang) = match b {
                BodyAt::Entry(i, l) => {
                    let v = site.entries[*i]
                        .versions
                        .get(l)
                        .ok_or("a version is gone")?;
                    (&v.source, &v.body, l)
                }
                BodyAt::Page(i, l) => {
                    let v = site.pages[*i].versions.get(l).ok_or("a version is gone")?;
                    (&v.source, &v.body, l)
                }
            };
            let (html, diags) = render_body(source, body, lang, &resolver, unsafe_html);
            if diags.iter().any(Diagnostic::is_error) {
                return Err("a body has errors");
            }
            htmls.push(html);
        }
        drop(resolver);
        let mut touched: Vec<usize> = Vec::new();
        let mut pages_touched: HashSet<(usize, crate::model::ids::Lang)> = HashSet::new();
        for (b, html) in bodies.iter().zip(htmls) {
            match b {
                BodyAt::Entry(i, l) => {
                    let before = site.entries[*i].versions.get(l).map(|v| v.body_html.get());
                    if before.is_some_and(|h| *h == *html) {
                        continue;
                    }
                    let mut e = (*site.entries[*i]).clone();
                    if let Some(v) = e.versions.get_mut(l) {
                        v.body_html.set(html);
                    }
                    site.entries[*i] = Arc::new(e);
                    touched.push(*i);
                }
                BodyAt::Page(i, l) => {
                    if let Some(v) = site.pages[*i].versions.get_mut(l) {
                        if *v.body_html == *html {
                            continue;
                        }
                        v.body_html = html.to_string();
                    }
                    pages_touched.insert((*i, l.clone()));
                }
            }
        }
        // Entries whose cover it is: their pages and their cards.
        let covers: HashSet<usize> = (site.entries.iter().enumerate())
            .filter(|(_, e)| {
                (e.versions.values()).any(|v| entry_cover_rel(v).is_some_and(|c| rels.contains(c)))
            })
            .map(|(i, _)| i)
            .collect();
        touched.extend(covers.iter().copied());
        touched.sort_unstable();
        touched.dedup();
        trace.mark("bodies");

        // The pages that show them.
        let touched_set: HashSet<usize> = touched.iter().copied().collect();
        let releases: HashSet<usize> = covers
            .iter()
            .map(|&i| site.entries[i].release_index)
            .collect();
        let on_home = site
            .releases
            .first()
            .is_some_and(|r| (r.entries.iter().take(HOME_ENTRIES)).any(|i| covers.contains(i)));
        let per = site.config.paginate_by;
        // Pages that asked for an image made from one of them, as they are served now.
        let asked: HashSet<&str> = (self.asks.iter())
            .filter(|(page, _)| !self.patched_asks.contains_key(*page))
            .chain(self.patched_asks.iter())
            .filter(|(_, list)| list.iter().any(|d| rels.contains(d.rel.as_str())))
            .map(|(page, _)| page.as_str())
            .collect();
        let shows = |kind: &PageKind, lang: &crate::model::ids::Lang| match kind {
            PageKind::Entry(i) => touched_set.contains(i),
            // A page without this language's version shows the default one's.
            PageKind::Page(i) => {
                let shown = if site.pages[*i].versions.contains_key(lang) {
                    lang
                } else {
                    site.default_lang()
                };
                pages_touched.contains(&(*i, shown.clone()))
            }
            PageKind::Release(r) => releases.contains(r),
            PageKind::Home => on_home,
            PageKind::Term {
                taxonomy,
                term,
                page,
                ..
            } => {
                !covers.is_empty()
                    && (site.taxonomies[*taxonomy].terms.get(lang))
                        .and_then(|ts| ts.get(*term))
                        .is_some_and(|t| {
                            t.page_entries(*page, per)
                                .iter()
                                .any(|i| covers.contains(i))
                        })
            }
            _ => false,
        };
        let plan = current.plan.clone();
        let todo: Vec<(usize, String)> = (plan.pages.iter().enumerate())
            .map(|(n, p)| (n, output_file(&p.site_path)))
            .filter(|(n, path)| {
                let p = &plan.pages[*n];
                shows(&p.kind, &p.lang) || asked.contains(path.as_str())
            })
            .collect();
        let prepared = Arc::new(
            last.prepared
                .with_entries(&site, &touched, None)
                .map_err(|_| "a card did not render")?,
        );
        let renderer = Renderer::from_prepared(&site, prepared.clone());
        let rendered: Vec<(String, Packed)> = todo
            .par_iter()
            .map(|(n, path)| {
                let html = images.for_page(path, || renderer.render(&plan.pages[*n]));
                html.ok().map(|h| (path.clone(), Packed::new(&h)))
            })
            .collect::<Option<Vec<_>>>()
            .ok_or("a page failed to render")?;
        drop(renderer);
        trace.mark("render");

        // The thumbnails and crops of the new bytes replace those of the old.
        let mut copies = current.copies.as_ref().clone();
        for f in &replaced {
            if let Some(Ok(set)) = old.images.get(&f.rel) {
                for v in &set.variants {
                    copies.remove(&v.out);
                }
            }
            if let Some(Ok(set)) = images.get(&f.rel) {
                for v in &set.variants {
                    copies.insert(v.out.clone(), v.file.clone());
                }
            }
        }
        for (d, file) in images.derived_made() {
            self.derived.insert(d.out.clone(), (d, file));
        }
        let stale: Vec<String> = (self.derived.iter())
            .filter(|(_, (d, file))| !images.is_current(d) || !file.is_file())
            .map(|(to, _)| to.clone())
            .collect();
        for to in stale {
            self.derived.remove(&to);
            copies.remove(&to);
        }
        for (to, (_, from)) in &self.derived {
            copies.insert(to.clone(), from.clone());
        }

        let mut patched = current.patched.clone();
        let count = rendered.len();
        for (path, bytes) in rendered {
            let asks: Vec<_> = (images.asked_by(&path).into_iter())
                .map(|(d, _)| d)
                .collect();
            self.patched_asks.insert(path.clone(), asks);
            patched.insert(path, bytes);
        }
        let replaced_snapshot = self.current.replace(Arc::new(Snapshot {
            site,
            plan,
            search: current.search.renewed(),
            pages: current.pages.clone(),
            patched,
            files: current.files.clone(),
            copies: Arc::new(copies),
            rendered_files: Mutex::new(HashMap::new()),
        }));
        let old_cards = (self.last.as_mut()).map(|l| std::mem::replace(&mut l.prepared, prepared));
        // The reload need not wait for the last snapshot and the old cards to be freed.
        crate::memory::free_later((replaced_snapshot, current, old_cards));
        trace.mark("snapshot");
        trace.print();
        Ok(Report {
            pages: self.current.as_ref().map_or(0, |s| s.pages.len()),
            rendered: count,
            files_checked: replaced.len(),
            elapsed: start.elapsed(),
            css_only: false,
            patched: true,
        })
    }
}
