//! Generated files: the Atom feeds, sitemaps, robots.txt and open data a site's pages call
//! for, each with the entries it covers, and which entries are public enough for them
//! (decided here, once). It plans what these files hold, never how they are written (that
//! is `render`).

use crate::model::Site;
use crate::plan::{
    DataFormat, DataScope, FeedScope, FileKind, Limits, MarketFile, PageKind, PlannedFile,
    PlannedPage,
};

/// Entries that may appear in feeds, sitemaps and open data: neither draft nor embargoed.
pub(crate) fn is_public(site: &Site, i: usize) -> bool {
    site.entries[i].hold.is_none()
}

/// The newest public entries among `entries` (newest date first, then site order), at most
/// `limit`.
pub(crate) fn newest(
    site: &Site,
    entries: impl Iterator<Item = usize>,
    limit: usize,
) -> Vec<usize> {
    let list: Vec<usize> = entries.filter(|&i| is_public(site, i)).collect();
    first_sorted(list, limit, |a, b| newer(site, *a, *b))
}

/// The order of [`newest`]: newest date first, then site order.
fn newer(site: &Site, a: usize, b: usize) -> std::cmp::Ordering {
    (site.entries[b].date.cmp(&site.entries[a].date)).then(a.cmp(&b))
}

/// The first `limit` of `list` in the total order `cmp`, sorted. They are picked out in
/// linear time before they are sorted: sorting every entry of the site for a feed of fifty
/// was the plan's largest cost at 100,000 entries. (The order is total, so the unstable
/// sort and selection are deterministic.)
fn first_sorted(
    mut list: Vec<usize>,
    limit: usize,
    mut cmp: impl FnMut(&usize, &usize) -> std::cmp::Ordering,
) -> Vec<usize> {
    if list.len() > limit {
        list.select_nth_unstable_by(limit, &mut cmp);
        list.truncate(limit);
    }
    list.sort_unstable_by(cmp);
    list
}

/// Each public entry's place in the order [`newest`] gives (newest date first, then site
/// order), for picking the newest of many lists at once: a feed per release, taxonomy term
/// and language chose among 1.2 million entries at 100,000 entries, and comparing two of
/// them by their dates read two entries from anywhere in memory (a tenth of the plan's CPU).
/// Comparing places reads a dense array instead.
pub(crate) struct Recency(Vec<u32>);

impl Recency {
    pub(crate) fn of(site: &Site) -> Recency {
        let n = site.entries.len();
        let mut order: Vec<usize> = (0..n).filter(|&i| is_public(site, i)).collect();
        order.sort_unstable_by(|&a, &b| newer(site, a, b));
        let mut place = vec![u32::MAX; n];
        for (k, &i) in order.iter().enumerate() {
            place[i] = k as u32;
        }
        Recency(place)
    }

    /// [`newest`] of `entries`: the same list.
    pub(crate) fn newest(&self, entries: impl Iterator<Item = usize>, limit: usize) -> Vec<usize> {
        let place = |i: &usize| self.0[*i];
        let list: Vec<usize> = entries.filter(|i| place(i) != u32::MAX).collect();
        first_sorted(list, limit, |a, b| place(a).cmp(&place(b)))
    }
}

/// Feeds, sitemaps, robots.txt and open data for the planned `pages`.
pub(super) fn generated_files(
    site: &Site,
    pages: &[PlannedPage],
    limits: Limits,
) -> Vec<PlannedFile> {
    let urls = &site.urls;
    let mut files = Vec::new();
    let mut add = |site_path: String, kind: FileKind| files.push(PlannedFile { site_path, kind });
    let all = 0..site.entries.len();
    let recency = Recency::of(site);
    for lang in &site.config.languages {
        add(
            urls.feed(lang),
            FileKind::Feed {
                lang: lang.clone(),
                scope: FeedScope::Site,
                entries: recency.newest(all.clone(), limits.feed_entries),
            },
        );
        for (i, r) in site.releases.iter().enumerate() {
            add(
                urls.release_feed(lang, &r.id),
                FileKind::Feed {
                    lang: lang.clone(),
                    scope: FeedScope::Release(i),
                    entries: recency.newest(r.entries.iter().copied(), usize::MAX),
                },
            );
        }
        for (ti, t) in site.taxonomies.iter().enumerate() {
            for (term_i, term) in t.terms.get(lang).into_iter().flatten().enumerate() {
                add(
                    urls.term_feed(lang, &t.slug, &term.slug),
                    FileKind::Feed {
                        lang: lang.clone(),
                        scope: FeedScope::Term {
                            taxonomy: ti,
                            term: term_i,
                        },
                        entries: recency.newest(term.entries.iter().copied(), limits.feed_entries),
                    },
                );
            }
        }
    }

    // Every HTML page but the 404 pages and the pages of held entries.
    let listed: Vec<usize> = pages
        .iter()
        .enumerate()
        .filter(|(_, p)| match p.kind {
            PageKind::NotFound => false,
            PageKind::Entry(i) => is_public(site, i),
            PageKind::Item { collection, item } => {
                site.collections[collection].items[item].hold.is_none()
            }
            _ => true,
        })
        .map(|(i, _)| i)
        .collect();
    let max = limits.sitemap_urls.max(1);
    if listed.len() <= max {
        add(urls.sitemap(), FileKind::Sitemap { pages: listed });
    } else {
        let mut parts = Vec::new();
        for (n, chunk) in listed.chunks(max).enumerate() {
            let path = urls.sitemap_part(n + 1);
            parts.push(path.clone());
            add(
                path,
                FileKind::Sitemap {
                    pages: chunk.to_vec(),
                },
            );
        }
        add(urls.sitemap(), FileKind::SitemapIndex { parts });
    }
    add(
        urls.robots(),
        FileKind::Robots {
            sitemap: urls.sitemap(),
        },
    );

    let public: Vec<usize> = all.filter(|&i| is_public(site, i)).collect();
    let mut tables = Vec::new();
    let mut data = |json: String, csv: String, scope: DataScope, entries: Vec<usize>| {
        tables.push(csv.clone());
        add(
            json,
            FileKind::Data {
                scope,
                format: DataFormat::Json,
                entries: entries.clone(),
            },
        );
        add(
            csv,
            FileKind::Data {
                scope,
                format: DataFormat::Csv,
                entries,
            },
        );
    };
    data(
        urls.data_entries("json"),
        urls.data_entries("csv"),
        DataScope::Site,
        public,
    );
    for (i, r) in site.releases.iter().enumerate() {
        let entries = r
            .entries
            .iter()
            .copied()
            .filter(|&e| is_public(site, e))
            .collect();
        data(
            urls.data_release(&r.id, "json"),
            urls.data_release(&r.id, "csv"),
            DataScope::Release(i),
            entries,
        );
    }
    add(urls.csv_metadata(), FileKind::CsvMetadata { tables });
    for (c, col) in site.collections.iter().enumerate() {
        add(
            urls.data_collection(&col.name),
            FileKind::Market(MarketFile::Collection(c)),
        );
        add(
            urls.data_collection_csv(&col.name),
            FileKind::Market(MarketFile::Csv(c)),
        );
        add(
            urls.data_collection_csv_metadata(&col.name),
            FileKind::Market(MarketFile::CsvMetadata(c)),
        );
        for lang in &site.config.languages {
            add(
                urls.collection_feed(lang, &col.name),
                FileKind::Market(MarketFile::Feed {
                    collection: c,
                    lang: lang.clone(),
                }),
            );
        }
    }
    if !site.collections.is_empty() {
        add(urls.data_matches(), FileKind::Market(MarketFile::Matches));
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `newest` picks the first `limit` before sorting them: it must give what sorting
    /// every public entry and cutting gives, for any limit (the sample site has entries
    /// with equal dates, which the site order breaks).
    #[test]
    fn newest_is_the_sorted_list_cut_to_the_limit() {
        let loaded = crate::sample_site();
        let site = &loaded.site;
        let all = 0..site.entries.len();
        let mut want: Vec<usize> = all.clone().filter(|&i| is_public(site, i)).collect();
        want.sort_by(|&a, &b| (site.entries[b].date.cmp(&site.entries[a].date)).then(a.cmp(&b)));
        let dates: std::collections::BTreeSet<_> =
            want.iter().map(|&i| site.entries[i].date).collect();
        assert!(
            want.len() > 10 && dates.len() < want.len(),
            "equal dates to break"
        );
        // Given backwards, so that the input's order is not already the answer.
        for limit in [0, 1, 2, 5, want.len() - 1, want.len(), want.len() + 3] {
            let got = newest(site, all.clone().rev(), limit);
            assert_eq!(got, want[..limit.min(want.len())], "limit {limit}");
        }
        // Any subset, in any order, as a term's or a release's entries are.
        let some: Vec<usize> = all.clone().rev().step_by(3).collect();
        let got = newest(site, some.iter().copied(), 4);
        let want_some: Vec<usize> = (want.iter().copied())
            .filter(|i| some.contains(i))
            .take(4)
            .collect();
        assert_eq!(got, want_some);
        // The places the plan picks by give the same lists.
        let recency = Recency::of(site);
        for limit in [0, 1, 2, 5, want.len() - 1, want.len(), want.len() + 3] {
            let got = recency.newest(all.clone().rev(), limit);
            assert_eq!(got, want[..limit.min(want.len())], "limit {limit}");
        }
        assert_eq!(recency.newest(some.iter().copied(), 4), want_some);
    }
}
