//! Moving entries inside their releases after title edits, for `serve`'s fast path: which
//! entries change places when edited titles change the order of a release (`Site::entries`
//! is ordered by release, default-language title, slug: see [`site_order`]), and that
//! permutation applied to the site's entry list and taxonomy term lists. A release's entries
//! are one contiguous run of `Site::entries`, and an entry never leaves its release here, so
//! the runs stay where they are and only the order inside them changes. This is index work
//! only: nothing is read, checked or rendered.

use std::ops::Range;
use std::sync::Arc;

use crate::model::assemble::site_order;
use crate::model::taxonomy::entry_terms;
use crate::model::{Entry, Site, Taxonomy};

/// A permutation of `Site::entries` that moves entries only inside their releases.
#[derive(Debug, Clone)]
pub struct Reorder {
    /// `new_of_old[i]`: the index the entry at index `i` moves to.
    new_of_old: Vec<usize>,
    /// The runs of indices whose entries are permuted among themselves, ascending and
    /// disjoint, each inside one release. Every index outside them stays where it is.
    blocks: Vec<Range<usize>>,
}

/// Why the site cannot just be reordered; the full rebuild handles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Two entries of one release share a title (an error a full build reports).
    DuplicateTitle,
    /// A free-text term takes its label from its first entry, which changed, and the new
    /// first entry spells the term differently (the term list would change).
    TermLabel,
}

impl Reorder {
    /// The order `site` needs when entries of `releases` (indexes into `Site::releases`)
    /// were given new titles in place: `site.entries` is still in the old order. `None`
    /// when every one of those releases is still in order.
    pub fn after_retitling(site: &Site, releases: &[usize]) -> Result<Option<Reorder>, Refusal> {
        let default = site.default_lang();
        let mut releases = releases.to_vec();
        releases.sort_unstable();
        releases.dedup();
        let mut new_of_old: Option<Vec<usize>> = None;
        let mut blocks = Vec::new();
        for r in releases {
            let list = &site.releases[r].entries;
            let (Some(&first), Some(&last)) = (list.first(), list.last()) else {
                continue;
            };
            debug_assert_eq!(
                last + 1 - first,
                list.len(),
                "a release is a contiguous run"
            );
            let mut order: Vec<usize> = (first..=last).collect();
            order.sort_by(|&a, &b| site_order(&site.entries[a], &site.entries[b], default));
            let title = |i: usize| &site.entries[i].versions[default].title;
            if order.windows(2).any(|w| title(w[0]) == title(w[1])) {
                return Err(Refusal::DuplicateTitle);
            }
            let Some(lo) = (0..order.len()).find(|&k| order[k] != first + k) else {
                continue;
            };
            let hi = (0..order.len())
                .rfind(|&k| order[k] != first + k)
                .unwrap_or(lo);
            let map = new_of_old.get_or_insert_with(|| (0..site.entries.len()).collect());
            for (k, &old) in order.iter().enumerate().take(hi + 1).skip(lo) {
                map[old] = first + k;
            }
            blocks.push(first + lo..first + hi + 1);
        }
        Ok(new_of_old.map(|new_of_old| Reorder { new_of_old, blocks }))
    }

    /// The index the entry at `old` moves to.
    pub fn new_index(&self, old: usize) -> usize {
        self.new_of_old[old]
    }

    /// Whether index `i` holds another entry after the move (the same set of indices
    /// whether `i` is read as an old or a new index).
    pub fn moved(&self, i: usize) -> bool {
        self.new_of_old[i] != i
    }

    /// The runs of indices whose entries are permuted among themselves.
    pub fn blocks(&self) -> &[Range<usize>] {
        &self.blocks
    }

    /// Where each permuted run lies in the ascending list of indices `sorted`: the
    /// positions of its elements in that run (the same whether the list holds old or new
    /// indices: each run maps onto itself).
    fn segments<'a>(&'a self, sorted: &'a [usize]) -> impl Iterator<Item = Range<usize>> + 'a {
        self.blocks.iter().filter_map(|b| {
            let from = sorted.partition_point(|&i| i < b.start);
            let to = sorted.partition_point(|&i| i < b.end);
            (from < to).then_some(from..to)
        })
    }

    /// Whether the ascending list `sorted` holds an index of a permuted run.
    pub fn touches(&self, sorted: &[usize]) -> bool {
        self.segments(sorted).next().is_some()
    }

    /// The indices of the ascending list `sorted` that lie in a permuted run.
    pub fn within(&self, sorted: &[usize]) -> Vec<usize> {
        self.segments(sorted)
            .flat_map(|s| sorted[s].iter().copied())
            .collect()
    }

    /// For each permuted run the ascending list `sorted` holds indices of, the positions of
    /// those indices in the list (the positions whose entries may change).
    pub fn positions_within(&self, sorted: &[usize]) -> Vec<Range<usize>> {
        self.segments(sorted).collect()
    }

    /// The ascending list of old indices `sorted`, as the ascending list of their new
    /// indices: only the elements in permuted runs change.
    pub fn remap(&self, sorted: &[usize]) -> Vec<usize> {
        let mut out = sorted.to_vec();
        for s in self.segments(sorted) {
            let part = &mut out[s];
            for i in part.iter_mut() {
                *i = self.new_index(*i);
            }
            part.sort_unstable();
        }
        out
    }

    /// Positions of a list whose entry changed: `old` (old indices) and `new` (the same
    /// entries' new indices in their new order) differ at those positions.
    pub fn changed_positions<'a>(
        &'a self,
        old: &'a [usize],
        new: &'a [usize],
    ) -> impl Iterator<Item = usize> + 'a {
        old.iter()
            .zip(new)
            .enumerate()
            .filter(move |(_, (o, n))| self.new_index(**o) != **n)
            .map(|(k, _)| k)
    }

    /// Move `site`'s entries, and the entries of its taxonomy terms, to their new places.
    /// Releases keep their index lists (each a contiguous run that maps onto itself). On a
    /// refusal `site` is left as it was.
    pub fn apply(&self, site: &mut Site) -> Result<(), Refusal> {
        let mut entries = site.entries.clone();
        for b in &self.blocks {
            for i in b.clone() {
                entries[self.new_index(i)] = site.entries[i].clone();
            }
        }
        let taxonomies = self.taxonomies(site, &entries)?;
        site.entries = entries;
        site.taxonomies = Arc::new(taxonomies);
        Ok(())
    }

    /// `site`'s taxonomies with their term lists over `entries`, the reordered entries.
    fn taxonomies(&self, site: &Site, entries: &[Arc<Entry>]) -> Result<Vec<Taxonomy>, Refusal> {
        let mut taxonomies: Vec<Taxonomy> = site.taxonomies.as_ref().clone();
        for tax in &mut taxonomies {
            let def = site.config.schema.fields.get(&tax.field);
            for (lang, terms) in tax.terms.iter_mut() {
                for term in terms.iter_mut() {
                    if !self.touches(&term.entries) {
                        continue;
                    }
                    let first = term.entries[0];
                    term.entries = self.remap(&term.entries);
                    if term.entries[0] == self.new_index(first) {
                        continue;
                    }
                    let def = def.ok_or(Refusal::TermLabel)?;
                    let label = entry_terms(&site.config, def, &entries[term.entries[0]], lang)
                        .into_iter()
                        .find(|(slug, _)| *slug == term.slug)
                        .map(|(_, label)| label);
                    if label.as_deref() != Some(term.label.as_str()) {
                        return Err(Refusal::TermLabel);
                    }
                }
            }
        }
        Ok(taxonomies)
    }
}
