//! The fast path of a rebuild in `serve`: when the watcher reports edits to existing entry
//! files only, and each edit qualifies (see `patch.rs`), the edited entries are patched into
//! a copy of the last site (entries are shared, so the copy is cheap), their bodies and
//! cards rendered again, and only the pages that show them re-rendered: the entry's pages in
//! every language and, when its card changed, its release pages, the home page if it lists
//! it and the term pages it is on. When a new title moves entries inside their release, the
//! site, the cards and the plan are reordered (`model::reorder`, `plan::reorder`: index work,
//! no planning or rendering), and the release, home and term pages whose lists changed are
//! re-rendered as well. Generated files (feeds, search, open data) are rendered on request
//! from the new snapshot anyway. Anything the fast path cannot prove safe falls back to the
//! full incremental rebuild, which stays the reference (tests compare both with a fresh
//! build).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rayon::prelude::*;

use crate::diagnostics::Diagnostic;
use crate::load::discover::ContentKind;
use crate::markdown::Resolver;
use crate::markdown::site::render_body;
use crate::model::ids::Lang;
use crate::model::reorder::{Refusal, Reorder};
use crate::model::urls::output_file;
use crate::model::{Entry, Site};
use crate::plan::PageKind;
use crate::render::Renderer;
use crate::serve::engine::{CachedDoc, Engine, Report, Snapshot, hash_bytes, stamp};
use crate::serve::packed::Packed;
use crate::serve::patch::patch_entry;
use crate::serve::signature::card_hash;
use crate::trace::Trace;
use crate::validate::documents::{Doc, EntryDoc, check_file};

/// Pages `todo` of `plan`, rendered on every core, by output file: what the fast paths
/// patch into the last snapshot.
pub(super) fn render_pages(
    renderer: &Renderer,
    plan: &crate::plan::Plan,
    todo: &[usize],
) -> Result<Vec<(String, Packed)>, &'static str> {
    todo.par_iter()
        .map(|&n| {
            let p = &plan.pages[n];
            (renderer.render(p).ok()).map(|html| (output_file(&p.site_path), Packed::new(&html)))
        })
        .collect::<Option<Vec<_>>>()
        .ok_or("a page failed to render")
}

/// Why the site could not be reordered, as the fast path reports it.
fn refusal(r: Refusal) -> &'static str {
    match r {
        Refusal::DuplicateTitle => "two entries of a release share a title",
        Refusal::TermLabel => "a move changes a term's label",
    }
}

/// The term pages (taxonomy, language, term, page) whose entries changed places when
/// `old` was reordered into `new` by `order`.
fn reordered_term_pages(
    old: &Site,
    new: &Site,
    order: &Reorder,
) -> HashSet<(usize, Lang, usize, usize)> {
    let per = new.config.paginate_by.max(1);
    let mut pages = HashSet::new();
    for (t, (before, after)) in old.taxonomies.iter().zip(new.taxonomies.iter()).enumerate() {
        for (lang, terms) in &after.terms {
            let Some(was) = before.terms.get(lang) else {
                continue;
            };
            for (k, (a, b)) in was.iter().zip(terms).enumerate() {
                if !order.touches(&a.entries) {
                    continue;
                }
                for pos in order.changed_positions(&a.entries, &b.entries) {
                    pages.insert((t, lang.clone(), k, pos / per + 1));
                }
            }
        }
    }
    pages
}

/// Home pages list the first entries of the newest release (see the home template).
const HOME_ENTRIES: usize = 12;

impl Engine {
    /// Rebuild after changes to `changed` (absolute paths from the watcher): the fast path
    /// when it applies, otherwise a full incremental rebuild.
    pub fn rebuild_changed(&mut self, changed: &[PathBuf]) -> Result<Report, crate::Failure> {
        let attempt = if crate::serve::image_path::only_images(changed) {
            self.try_images(changed)
        } else {
            self.try_patch(changed)
        };
        match attempt {
            Ok(report) => Ok(report),
            Err(why) => {
                if std::env::var_os("GAZETTE_TRACE").is_some() {
                    eprintln!("fast path not taken: {why}");
                }
                self.rebuild()
            }
        }
    }

    /// The fast path, or why it does not apply (nothing has been changed then, apart from
    /// caching the check of files that were read).
    fn try_patch(&mut self, changed: &[PathBuf]) -> Result<Report, &'static str> {
        let start = Instant::now();
        let mut trace = Trace::new();
        let current = self.current.clone().ok_or("no previous build")?;
        let last = self.last.as_ref().ok_or("no previous build")?;
        let root = self.root.clone();
        let default = current.site.default_lang().clone();
        // An entry's text feeds the matches of demands and bases and the titles other items
        // show of it: a site with collections has its own fast path (`market_path.rs`).
        if !current.site.collections.is_empty() {
            return self.try_patch_market(changed);
        }

        let edited = last.edited_files(changed, &root, "not an entry file", |k| {
            matches!(k, ContentKind::Entry { .. })
        })?;
        let mut touched: Vec<usize> = Vec::new();
        for (rel, file) in &edited {
            let st = stamp(&root.join(rel)).ok_or("a file was removed")?;
            if self.docs.get(rel).is_some_and(|c| c.stamp == st) {
                continue;
            }
            let result = check_file(&root, file, &current.site.config);
            let valid = result.0.is_some() && !result.2.iter().any(Diagnostic::is_error);
            let hash = result
                .1
                .as_ref()
                .map_or(0, |src| hash_bytes(src.text().as_bytes()));
            // Cached either way: a full rebuild after a refusal need not check it again.
            self.docs.insert(
                rel.clone(),
                CachedDoc {
                    stamp: st,
                    hash,
                    result,
                },
            );
            if !valid {
                return Err("the edited file has errors");
            }
            let ContentKind::Entry { release, slug, .. } = &file.kind else {
                return Err("not an entry file");
            };
            let i = current
                .site
                .entries
                .iter()
                .position(|e| &e.release == release && &e.slug == slug)
                .ok_or("the entry is not in the site")?;
            touched.push(i);
        }
        touched.sort_unstable();
        touched.dedup();
        trace.mark("check");

        // Patch each entry; render its bodies with the previous site's link targets (the
        // same: no entry was added, removed or renamed).
        let last = self.last.as_ref().ok_or("no previous build")?;
        let doc_of = |path: &Path| -> Option<EntryDoc> {
            match self.docs.get(path)?.result.0.as_ref()? {
                Doc::Entry(d) => Some(d.clone()),
                _ => None,
            }
        };
        let resolver = Resolver::reusing(
            &current.site,
            last.targets.clone(),
            &last.withheld,
            &last.invalid,
        );
        let unsafe_html = current.site.config.unsafe_html;
        let group_by = current.site.config.group_by.as_deref();
        let mut patched: Vec<(usize, Entry)> = Vec::new();
        let mut cards_changed: Vec<usize> = Vec::new();
        for &i in &touched {
            let old = &current.site.entries[i];
            let original = old
                .versions
                .get(&default)
                .and_then(|v| doc_of(&v.source.path))
                .ok_or("the original has no valid document")?;
            let translations = old
                .versions
                .iter()
                .filter(|(l, _)| **l != default)
                .map(|(_, v)| doc_of(&v.source.path))
                .collect::<Option<Vec<_>>>()
                .ok_or("a translation has no valid document")?;
            let mut entry = patch_entry(&current.site, i, original, translations)
                .ok_or("the edit changes more than the entry's text")?;
            for (lang, v) in entry.versions.iter_mut() {
                let (html, diags) = render_body(&v.source, &v.body, lang, &resolver, unsafe_html);
                if diags.iter().any(Diagnostic::is_error) {
                    return Err("a link in the body is broken");
                }
                v.body_html.set(html);
            }
            let images = &current.site.images;
            if card_hash(&entry, group_by, images) != card_hash(old, group_by, images) {
                cards_changed.push(i);
            }
            patched.push((i, entry));
        }
        drop(resolver);
        let mut site = current.site.clone();
        let mut retitled: Vec<usize> = Vec::new();
        for (i, entry) in patched {
            if entry.versions[&default].title != site.entries[i].versions[&default].title {
                retitled.push(entry.release_index);
            }
            site.entries[i] = Arc::new(entry);
        }
        trace.mark("patch");

        // New titles may move entries inside their releases.
        let order = Reorder::after_retitling(&site, &retitled).map_err(refusal)?;
        if let Some(o) = &order {
            o.apply(&mut site).map_err(refusal)?;
        }
        trace.mark("reorder site");
        let new_index = |i: usize| order.as_ref().map_or(i, |o| o.new_index(i));
        let touched: Vec<usize> = touched.into_iter().map(new_index).collect();
        let cards_changed: Vec<usize> = cards_changed.into_iter().map(new_index).collect();
        let (plan, renumbered) = match &order {
            Some(o) => {
                let (plan, renumbered) = current.plan.reordered(&site, o);
                (Arc::new(plan), renumbered)
            }
            None => (current.plan.clone(), Vec::new()),
        };
        trace.mark("reorder plan");

        // The pages that show a touched entry.
        let touched_set: HashSet<usize> = touched.iter().copied().collect();
        let cards_set: HashSet<usize> = cards_changed.iter().copied().collect();
        let moved = |i: &usize| order.as_ref().is_some_and(|o| o.moved(*i));
        let release_of: HashSet<usize> = cards_changed
            .iter()
            .map(|&i| site.entries[i].release_index)
            .chain(order.iter().flat_map(|o| {
                o.blocks()
                    .iter()
                    .map(|b| site.entries[b.start].release_index)
            }))
            .collect();
        let on_home = site.releases.first().is_some_and(|r| {
            r.entries
                .iter()
                .take(HOME_ENTRIES)
                .any(|i| cards_set.contains(i) || moved(i))
        });
        let per = site.config.paginate_by;
        let reordered_terms = order
            .as_ref()
            .map(|o| reordered_term_pages(&current.site, &site, o))
            .unwrap_or_default();
        let shows = |kind: &PageKind, lang: &Lang| match kind {
            PageKind::Entry(i) => touched_set.contains(i),
            PageKind::Release(r) => release_of.contains(r),
            PageKind::Home => on_home,
            PageKind::Term {
                taxonomy,
                term,
                page,
                ..
            } => {
                reordered_terms.contains(&(*taxonomy, lang.clone(), *term, *page))
                    || (!cards_set.is_empty()
                        && site.taxonomies[*taxonomy]
                            .terms
                            .get(lang)
                            .and_then(|ts| ts.get(*term))
                            .is_some_and(|t| {
                                t.page_entries(*page, per)
                                    .iter()
                                    .any(|i| cards_set.contains(i))
                            }))
            }
            _ => false,
        };
        let todo: Vec<usize> = plan
            .pages
            .iter()
            .enumerate()
            .filter(|(_, p)| shows(&p.kind, &p.lang))
            .map(|(n, _)| n)
            .collect();
        let prepared = Arc::new(
            last.prepared
                .with_entries(&site, &touched, order.as_ref())
                .map_err(|_| "a card did not render")?,
        );
        let renderer = Renderer::from_prepared(&site, prepared.clone());
        let rendered = render_pages(&renderer, &plan, &todo)?;
        drop(renderer);
        trace.mark("render");

        let mut patched = current.patched.clone();
        let count = rendered.len();
        for (path, bytes) in rendered {
            patched.insert(path, bytes);
        }
        let total = current.pages.len();
        // Search documents renumbered by a move have new paths.
        let files = if renumbered.is_empty() {
            current.files.clone()
        } else {
            let mut files = current.files.as_ref().clone();
            for &n in &renumbered {
                files.remove(&output_file(&current.plan.files[n].site_path));
            }
            for &n in &renumbered {
                files.insert(output_file(&plan.files[n].site_path), n);
            }
            Arc::new(files)
        };
        let search = match &order {
            Some(_) => plan.search.clone(),
            None => current.search.renewed(),
        };
        let replaced = self.current.replace(Arc::new(Snapshot {
            site,
            plan,
            search,
            pages: current.pages.clone(),
            patched,
            files,
            copies: current.copies.clone(),
            rendered_files: Mutex::new(Default::default()),
        }));
        let old_cards = (self.last.as_mut()).map(|l| std::mem::replace(&mut l.prepared, prepared));
        // The reload need not wait for the last snapshot and the old cards to be freed.
        crate::memory::free_later((replaced, current, old_cards));
        trace.mark("snapshot");
        trace.print();
        Ok(Report {
            pages: total,
            rendered: count,
            files_checked: edited.len(),
            elapsed: start.elapsed(),
            css_only: false,
            patched: true,
        })
    }
}
