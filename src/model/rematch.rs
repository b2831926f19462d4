//! Matches kept up to date after single edits (the preview's fast path): what
//! [`matching::compute`] built is kept ([`matching::State`]: the results' profiles and
//! index, every item's untruncated candidates), and with it, per result, every open item
//! that has it among its candidates ("offers"). An edited demand or pilot base is queried
//! again on its own (the results' index does not change when an item does), its old
//! contributions to the results' lists removed and its new ones added, and only the lists
//! that changed are rebuilt — exactly as `compute` would give them. An edited result whose
//! profile is unchanged (its body, fields matching does not read) re-queries only its
//! related results; one whose profile changed changes the index every score depends on, so
//! every query runs again (over the kept profiles and a patched index). It renders nothing and
//! decides no pages.

use crate::config::SiteConfig;
use crate::model::collections::Collection;
use crate::model::matching::{self, Match, Matches, State};
use crate::model::refs::ItemRef;
use crate::model::{EntryVersion, Site};

/// The matching state of the last site, and its per-result offers.
pub struct Rematch {
    state: State,
    /// Per entry, every open item that has it among its candidates, with the score: best
    /// first, then by item (the order of `Matches::for_entries` before it is cut to `top`).
    offers: Vec<Vec<(u32, ItemRef)>>,
}

fn by_rank(a: &(u32, ItemRef), b: &(u32, ItemRef)) -> std::cmp::Ordering {
    b.0.cmp(&a.0).then(a.1.cmp(&b.1))
}

/// The lists of `Matches` that changed, by owner.
#[derive(Debug, Default)]
pub struct Changed {
    /// Items whose best results changed (their page lists them).
    pub items: Vec<(usize, usize)>,
    /// Entries whose open items changed.
    pub offers: Vec<usize>,
    /// Entries whose related results changed.
    pub related: Vec<usize>,
}

impl Changed {
    /// Every owner whose page shows a changed list.
    pub fn owners(&self) -> impl Iterator<Item = ItemRef> + '_ {
        (self.items.iter())
            .map(|&(collection, item)| ItemRef::Item { collection, item })
            .chain(self.offers.iter().map(|&e| ItemRef::Entry(e)))
            .chain(self.related.iter().map(|&e| ItemRef::Entry(e)))
    }
}

impl Rematch {
    /// Keep `state` (of a site with `entries` entries and these `collections`).
    pub fn new(state: State, entries: usize, collections: &[Collection]) -> Rematch {
        let mut offers: Vec<Vec<(u32, ItemRef)>> = vec![Vec::new(); entries];
        for (c, col) in collections.iter().enumerate() {
            for (i, item) in col.items.iter().enumerate() {
                if !item.is_open() {
                    continue;
                }
                let Some(list) = state.candidates.get(c).and_then(|l| l.get(i)) else {
                    continue;
                };
                for m in list {
                    if let ItemRef::Entry(e) = m.target {
                        offers[e].push((
                            m.score,
                            ItemRef::Item {
                                collection: c,
                                item: i,
                            },
                        ));
                    }
                }
            }
        }
        for list in &mut offers {
            list.sort_by(by_rank);
        }
        Rematch { state, offers }
    }

    /// The shown open items of entry `e`, as `compute` lists them.
    fn shown_offers(&self, e: usize, top: usize) -> Vec<Match> {
        self.offers[e]
            .iter()
            .take(top)
            .filter_map(|&(score, who)| {
                let ItemRef::Item { collection, item } = who else {
                    return None;
                };
                let m = self.state.candidates[collection][item]
                    .iter()
                    .find(|m| m.target == ItemRef::Entry(e))?;
                Some(Match {
                    target: who,
                    score,
                    reasons: m.reasons.clone(),
                })
            })
            .collect()
    }

    /// Item `item` of collection `collection` of `site` was edited (its new version is in
    /// `site`; it was open before if `was_open`): query it again and bring `matches` up to
    /// date. Returns the lists that changed.
    pub fn item_edited(
        &mut self,
        site: &Site,
        collection: usize,
        item: usize,
        was_open: bool,
        matches: &mut Matches,
    ) -> Changed {
        let config = &site.config;
        let top = config.matching.top;
        let col = &site.collections[collection];
        let it = &col.items[item];
        let def = &config.collections[col.def];
        let mut changed = Changed::default();
        if !def.match_results || it.hold.is_some() {
            return changed;
        }
        let v = &it.versions[site.default_lang()];
        let fresh = self.state.requery_item(&config.matching, v, &def.schema);
        let who = ItemRef::Item { collection, item };
        let old = std::mem::replace(&mut self.state.candidates[collection][item], fresh);
        let new = &self.state.candidates[collection][item];
        let shown = new[..new.len().min(top)].to_vec();
        if *matches.for_items[collection][item] != *shown {
            matches.for_items[collection][item] = shown.into();
            changed.items.push((collection, item));
        }
        let mut touched: Vec<usize> = Vec::new();
        if was_open {
            for m in &old {
                if let ItemRef::Entry(e) = m.target {
                    self.offers[e].retain(|(_, w)| *w != who);
                    touched.push(e);
                }
            }
        }
        if it.is_open() {
            for m in new {
                if let ItemRef::Entry(e) = m.target {
                    self.offers[e].push((m.score, who));
                    touched.push(e);
                }
            }
        }
        touched.sort_unstable();
        touched.dedup();
        for e in touched {
            self.offers[e].sort_by(by_rank);
            let shown = self.shown_offers(e, top);
            if *matches.for_entries[e] != *shown {
                matches.for_entries[e] = shown.into();
                changed.offers.push(e);
            }
        }
        changed
    }

    /// Entry `entry` was edited to default version `v`: if the results' index stays as it
    /// was, bring its related results in `matches` up to date and return what changed;
    /// `None` when matching must be computed again.
    pub fn entry_edited(
        &self,
        config: &SiteConfig,
        entry: usize,
        v: &EntryVersion,
        matches: &mut Matches,
    ) -> Option<Changed> {
        let related = self
            .state
            .requery_result(&config.matching, &config.schema, entry, v)?;
        let mut changed = Changed::default();
        if *matches.related[entry] != *related {
            matches.related[entry] = related.into();
            changed.related.push(entry);
        }
        Some(changed)
    }
}

impl Rematch {
    /// Every match of `site` computed again after its entries `edited` changed their
    /// profiles, reusing the other results' profiles and patching the index (see
    /// [`State::recompute`]).
    pub fn recompute(self, site: &Site, edited: &[usize]) -> (Matches, Rematch) {
        let (matches, state) =
            (self.state).recompute(&site.config, &site.entries, &site.collections, edited);
        let next = Rematch::new(state, site.entries.len(), &site.collections);
        (matches, next)
    }
}

/// The lists that differ between `old` and `new` matches of sites with the same entries and
/// items.
pub fn diff(old: &Matches, new: &Matches) -> Changed {
    let mut changed = Changed::default();
    for (c, (a, b)) in old.for_items.iter().zip(&new.for_items).enumerate() {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            if x != y {
                changed.items.push((c, i));
            }
        }
    }
    for (e, (x, y)) in old.for_entries.iter().zip(&new.for_entries).enumerate() {
        if x != y {
            changed.offers.push(e);
        }
    }
    for (e, (x, y)) in old.related.iter().zip(&new.related).enumerate() {
        if x != y {
            changed.related.push(e);
        }
    }
    changed
}

/// Every owner whose lists in `matches` name `who` (their pages show its title).
pub fn listing(matches: &Matches, who: ItemRef) -> Vec<ItemRef> {
    let names = |l: &matching::List| l.iter().any(|m| m.target == who);
    let mut out = Vec::new();
    for (c, items) in matches.for_items.iter().enumerate() {
        for (i, l) in items.iter().enumerate() {
            if names(l) {
                out.push(ItemRef::Item {
                    collection: c,
                    item: i,
                });
            }
        }
    }
    for (e, (a, b)) in matches.for_entries.iter().zip(&matches.related).enumerate() {
        if names(a) || names(b) {
            out.push(ItemRef::Entry(e));
        }
    }
    out
}
