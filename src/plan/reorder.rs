//! A plan carried over to a site whose entries changed places inside their releases
//! (`serve`'s fast path after a title edit; see `model::reorder`): the plan that planning the
//! reordered site would give, made from the old one by remapping entry indices instead of
//! planning again. Pages and files stay the same set; entry pages, sitemaps, feeds, open data
//! and search documents follow the new order.

use std::ops::Range;

use rayon::prelude::*;

use crate::model::Site;
use crate::model::reorder::Reorder;
use crate::plan::{FeedScope, FileKind, PageKind, Plan, PlannedFile, PlannedPage, newest};
use crate::search::{SearchFile, doc_path};

impl Plan {
    /// This plan, made for a site whose entries `site` holds reordered by `order`, as
    /// planning `site` gives it. Also returns the indexes into `files` of the files whose
    /// site path changed (search documents are numbered in site order).
    pub fn reordered(&self, site: &Site, order: &Reorder) -> (Plan, Vec<usize>) {
        let (pages, page_of_old) = reorder_pages(&self.pages, order);
        // Copying 200,000-odd paths is most of this at 100,000 entries: on every core.
        let mut files: Vec<PlannedFile> = self.files.par_iter().cloned().collect();
        let sitemaps: Vec<usize> = (files.iter().enumerate())
            .filter(|(_, f)| matches!(f.kind, FileKind::Sitemap { .. }))
            .map(|(n, _)| n)
            .collect();
        files.par_iter_mut().for_each(|f| {
            match &mut f.kind {
                FileKind::Feed {
                    lang,
                    scope,
                    entries,
                } => {
                    // Only entries of the permuted runs can enter or leave a feed cut to its
                    // newest entries: every other entry keeps its index, and its order with
                    // any other entry (a run is all before or all after it).
                    let moved = match scope {
                        FeedScope::Site => order.blocks().iter().flat_map(|b| b.clone()).collect(),
                        FeedScope::Release(r) => order.within(&site.releases[*r].entries),
                        FeedScope::Term { taxonomy, term } => site.taxonomies[*taxonomy]
                            .terms
                            .get(lang)
                            .and_then(|ts| ts.get(*term))
                            .map(|t| order.within(&t.entries))
                            .unwrap_or_default(),
                    };
                    if moved.is_empty() {
                        return;
                    }
                    let mut candidates: Vec<usize> = entries
                        .iter()
                        .map(|&i| order.new_index(i))
                        .chain(moved)
                        .collect();
                    candidates.sort_unstable();
                    candidates.dedup();
                    // As many as before: the scope holds as many public entries as before.
                    *entries = newest(site, candidates.into_iter(), entries.len());
                }
                FileKind::Data { entries, .. } if order.touches(entries) => {
                    *entries = order.remap(entries);
                }
                _ => {}
            }
        });
        // The sitemaps list the same pages, in page order, cut into parts of the same sizes.
        let mut listed: Vec<usize> = Vec::new();
        for &n in &sitemaps {
            if let FileKind::Sitemap { pages } = &files[n].kind {
                listed.extend(pages.iter().map(|&p| page_of_old[p]));
            }
        }
        listed.sort_unstable();
        let mut rest = listed.as_slice();
        for &n in &sitemaps {
            if let FileKind::Sitemap { pages } = &mut files[n].kind {
                let (part, tail) = rest.split_at(pages.len());
                *pages = part.to_vec();
                rest = tail;
            }
        }
        let docs = order.remap(&self.search.docs);
        // Documents are numbered in site order: those of moved entries change numbers.
        let renumbered = renumber_docs(site, &docs, &order.positions_within(&docs), &mut files);
        // Each page keeps its output file: the files move with their pages.
        let mut old_at = vec![0; page_of_old.len()];
        for (old, &new) in page_of_old.iter().enumerate() {
            old_at[new] = old;
        }
        let page_files: Vec<String> = (old_at.par_iter())
            .map(|&old| self.page_files.get(old).cloned().unwrap_or_default())
            .collect();
        debug_assert!(
            self.page_files.is_empty()
                || (pages.iter().zip(&page_files))
                    .all(|(p, f)| *f == crate::model::urls::output_file(&p.site_path)),
            "each page keeps its output file"
        );
        let plan = Plan {
            pages,
            page_files,
            files,
            copies: self.copies.clone(),
            search: self.search.reordered(docs),
        };
        (plan, renumbered)
    }
}

/// `pages` with entry indices remapped and entry pages in the new entry order, and the new
/// position of each old page. A language's entry pages are one run of consecutive pages,
/// in entry order.
fn reorder_pages(pages: &[PlannedPage], order: &Reorder) -> (Vec<PlannedPage>, Vec<usize>) {
    let entry = |p: &PlannedPage| match p.kind {
        PageKind::Entry(i) => Some(order.new_index(i)),
        _ => None,
    };
    let mut old_at: Vec<usize> = (0..pages.len()).collect();
    let mut k = 0;
    while k < pages.len() {
        let start = k;
        while k < pages.len() && entry(&pages[k]).is_some() {
            k += 1;
        }
        if k > start {
            old_at[start..k].sort_by_key(|&j| entry(&pages[j]));
        } else {
            k += 1;
        }
    }
    let mut page_of_old = vec![0; pages.len()];
    for (new, &old) in old_at.iter().enumerate() {
        page_of_old[old] = new;
    }
    let reordered = old_at
        .par_iter()
        .map(|&old| {
            let mut p = pages[old].clone();
            if let PageKind::Entry(i) = &mut p.kind {
                *i = order.new_index(*i);
            }
            p
        })
        .collect();
    (reordered, page_of_old)
}

/// Number the search documents of every language after `docs`, the indexed entries in the
/// new order, where `moved` (ranges of document numbers) holds the documents that moved:
/// each language's files of those documents (those of entries with a version in it, in
/// document order) get the numbers, in order, of the documents there with a version in it.
/// Returns the indexes of the files whose number changed.
fn renumber_docs(
    site: &Site,
    docs: &[usize],
    moved: &[Range<usize>],
    files: &mut [PlannedFile],
) -> Vec<usize> {
    let mut changed = Vec::new();
    for lang in &site.config.languages {
        for range in moved {
            let mut numbers = range
                .clone()
                .filter(|&n| site.entries[docs[n]].versions.contains_key(lang));
            for (n, f) in files.iter_mut().enumerate() {
                let FileKind::Search(SearchFile::Doc { lang: l, doc }) = &mut f.kind else {
                    continue;
                };
                if &*l != lang || !range.contains(&*doc) {
                    continue;
                }
                // As many files as documents with a version in the language: a permutation.
                let Some(number) = numbers.next() else {
                    continue;
                };
                if number != *doc {
                    *doc = number;
                    f.site_path = doc_path(site, lang, number);
                    changed.push(n);
                }
            }
        }
    }
    changed
}
