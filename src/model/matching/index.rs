//! The inverted index over the results' profiles and the queries against it: a query reads
//! the postings of its tokens rarest first within a budget, then weighs fields, keywords,
//! region and synonym groups (from keys held inline) only for the results that can still
//! be among its best. It reads profiles; it makes none and names no reasons.

use std::collections::HashMap;

use rayon::prelude::*;

use super::profile::{Hasher, Profile, Tok};
#[cfg(test)]
use crate::config::MatchingConfig;

/// How many values two sorted lists share.
pub(super) fn common(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// The weight of what `a` and `b` share besides text.
pub(super) fn structured_score(
    a: &Profile,
    b: &Profile,
    w: &crate::config::collections::Weights,
) -> f32 {
    let region = a.region_key.is_some() && a.region_key == b.region_key;
    weigh(
        w,
        common(&a.field_keys, &b.field_keys),
        common(&a.keyword_keys, &b.keyword_keys),
        region,
        a.synonyms.iter().filter(|g| b.synonyms.contains(g)).count(),
    )
}

pub(super) fn weigh(
    w: &crate::config::collections::Weights,
    fields: usize,
    keywords: usize,
    region: bool,
    synonyms: usize,
) -> f32 {
    (w.fields * fields as f64
        + w.keywords * 2.0 * keywords as f64
        + w.region * f64::from(u8::from(region))
        + w.keywords * synonyms as f64) as f32
}

/// How many keys [`Keys`] holds inline.
pub(super) const KEYS: usize = 10;

/// What [`structured_score`] compares of a result, inline in one array of the index, so
/// scoring a result a query touched reads one place in memory: at 100,000 results the
/// three scattered reads of a [`Profile`] per touched result were most of matching's time.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Keys {
    /// Field keys, keyword keys, then synonym groups, each part sorted.
    pub(super) keys: [u64; KEYS],
    pub(super) fields: u8,
    pub(super) keywords: u8,
    pub(super) synonyms: u8,
    /// The profile has more keys than fit: its own lists are read instead.
    pub(super) spilled: bool,
    pub(super) region: Option<u64>,
}

impl Keys {
    pub(super) fn of(p: &Profile) -> Keys {
        let mut k = Keys {
            region: p.region_key,
            ..Keys::default()
        };
        let (f, kw, sy) = (p.field_keys.len(), p.keyword_keys.len(), p.synonyms.len());
        if f + kw + sy > KEYS {
            k.spilled = true;
            return k;
        }
        let keys = (p.field_keys.iter().chain(&p.keyword_keys).copied())
            .chain(p.synonyms.iter().map(|&g| g as u64));
        for (slot, key) in k.keys.iter_mut().zip(keys) {
            *slot = key;
        }
        (k.fields, k.keywords, k.synonyms) = (f as u8, kw as u8, sy as u8);
        k
    }

    /// [`structured_score`] of `q` and the result these keys are of (`r`, read only when
    /// its keys did not fit).
    pub(super) fn score(
        &self,
        q: &Profile,
        r: &Profile,
        w: &crate::config::collections::Weights,
    ) -> f32 {
        if self.spilled {
            return structured_score(q, r, w);
        }
        let (f, k) = (self.fields as usize, self.keywords as usize);
        let synonyms = &self.keys[f + k..f + k + self.synonyms as usize];
        weigh(
            w,
            common(&q.field_keys, &self.keys[..f]),
            common(&q.keyword_keys, &self.keys[f..f + k]),
            q.region_key.is_some() && q.region_key == self.region,
            (q.synonyms.iter())
                .filter(|&&g| synonyms.contains(&(g as u64)))
                .count(),
        )
    }
}

/// The inverted index over the results' profiles.
pub(super) struct Index {
    pub(super) postings: Postings,
    /// Tokens in more results than this (a twentieth of them, at most [`ITEM_BUDGET`]) are
    /// skipped: they tell nothing apart.
    pub(super) max_df: usize,
    /// Per result, a length penalty: long texts share more tokens by chance.
    pub(super) norm: Vec<f32>,
    /// Per result, what scoring compares besides text.
    pub(super) keys: Vec<Keys>,
    /// The tokens that do not tell results apart ([`Index::tells`]): few, so a query's
    /// tokens are checked against them without a lookup in `postings`.
    pub(super) common: std::collections::HashSet<Tok, Hasher>,
}

/// Per token, the results holding it with the token's weight in each, in result order; in
/// shards by the token's top bits, one per thread, so that every core builds some: a
/// profile's tokens are sorted, so each shard's are one stretch of them. (Every shard reads
/// every profile: more shards than threads cost more than they share out.)
pub(super) struct Postings {
    pub(super) shards: Vec<HashMap<Tok, Vec<Posting>, Hasher>>,
    /// How many of a token's top bits choose its shard.
    pub(super) bits: u32,
}

impl Postings {
    pub(super) fn shard(&self, t: Tok) -> usize {
        Postings::shard_in(t, self.bits)
    }

    pub(super) fn shard_in(t: Tok, bits: u32) -> usize {
        t.checked_shr(Tok::BITS - bits).unwrap_or(0) as usize
    }

    pub(super) fn new(profiles: &[Profile]) -> Postings {
        let bits = rayon::current_num_threads()
            .next_power_of_two()
            .trailing_zeros()
            .min(4);
        let shards = (0..1usize << bits)
            .into_par_iter()
            .map(|s| {
                let first = (s as Tok).checked_shl(Tok::BITS - bits).unwrap_or(0);
                let mut map: HashMap<Tok, Vec<Posting>, Hasher> = HashMap::default();
                for (i, p) in profiles.iter().enumerate() {
                    let start = p.tokens.partition_point(|&(t, _)| t < first);
                    for &(t, w) in &p.tokens[start..] {
                        if Postings::shard_in(t, bits) != s {
                            break;
                        }
                        map.entry(t).or_default().push((i as u32, w));
                    }
                }
                map
            })
            .collect();
        Postings { shards, bits }
    }

    pub(super) fn get(&self, t: Tok) -> Option<&Vec<Posting>> {
        self.shards[self.shard(t)].get(&t)
    }

    pub(super) fn get_mut(&mut self, t: Tok) -> Option<&mut Vec<Posting>> {
        let s = self.shard(t);
        self.shards[s].get_mut(&t)
    }

    pub(super) fn list(&mut self, t: Tok) -> &mut Vec<Posting> {
        let s = self.shard(t);
        self.shards[s].entry(t).or_default()
    }

    pub(super) fn remove(&mut self, t: Tok) {
        let s = self.shard(t);
        self.shards[s].remove(&t);
    }
}

/// The inverse document frequency of a token in `df` of `n` results.
pub(super) fn idf(n: f32, df: usize) -> f32 {
    (1.0 + n / df as f32).ln()
}

impl Index {
    pub(super) fn new(profiles: &[Profile]) -> Index {
        let postings = Postings::new(profiles);
        let n = profiles.len().max(1) as f32;
        let avg = profiles.iter().map(|p| p.tokens.len()).sum::<usize>() as f32 / n;
        let norm = profiles
            .iter()
            .map(|p| (p.tokens.len() as f32 / avg.max(1.0)).sqrt().max(0.5))
            .collect();
        let max_df = (profiles.len() / 20).clamp(64, ITEM_BUDGET);
        let common = (postings.shards.par_iter())
            .flat_map_iter(|shard| {
                (shard.iter())
                    .filter(|(_, list)| !Index::tells(list.len(), max_df, profiles.len()))
                    .map(|(&t, _)| t)
            })
            .collect();
        Index {
            postings,
            max_df,
            norm,
            keys: profiles.par_iter().map(Keys::of).collect(),
            common,
        }
    }

    /// Whether a token in `df` of `n` results is worth naming as a reason: not skipped by
    /// queries, and not in a quarter of the results or more (on sites large enough for
    /// that to say anything).
    pub(super) fn tells(df: usize, max_df: usize, n: usize) -> bool {
        df <= max_df && (n < 8 || df * 4 <= n)
    }
}

/// One result holding a token, and the token's weight in it.
pub(super) type Posting = (u32, f32);

/// Which of a query's tokens are looked up in the index.
#[derive(Clone, Copy)]
pub(super) struct Lookup {
    /// Tokens weighing less than this in the query are not looked up.
    pub(super) min_weight: f32,
    /// Tokens in more results than this are not looked up.
    pub(super) max_df: usize,
    /// Postings read per query, at most (give or take one token's list): tokens are read
    /// rarest first (they weigh the most), and the commonest are left out once this many
    /// postings were read. This is what keeps a query's cost from growing with the site,
    /// and so matching linear: the lists of a token grow with the number of results.
    pub(super) budget: usize,
}

/// Postings an item's query reads at most: a demand of a 10,000-result generated site has
/// some 20 tokens whose lists hold 4,000 postings together; on larger sites its commonest
/// tokens (the lowest inverse document frequencies) are left out. Every result it reads is
/// also scored on fields, keywords and region, so this bounds that work too.
pub(super) const ITEM_BUDGET: usize = 4096;

/// Postings a result's query for related results reads at most (it reads only its title
/// and keyword tokens in a two-hundredth of the results: ~150 at 10,000 results).
pub(super) const RELATED_BUDGET: usize = 512;

/// Tokens in more results than this are not looked up for related results (nor in more
/// than a two-hundredth of them): a word a hundred results share does not make two of them
/// related. At 100,000 results this took the related-results queries from 4.3 s to 1.4 s.
pub(super) const RELATED_MAX_DF: usize = 128;

/// Text scores of one query against every result it shares a token with (see [`Lookup`]
/// for which tokens are looked up), in the order the results were met. `acc` and `touched`
/// are scratch space, left empty.
pub(super) fn text_scores(
    q: &Profile,
    index: &Index,
    lookup: Lookup,
    (acc, touched): &mut Scratch,
) -> Vec<(u32, f32)> {
    acc.resize(index.norm.len(), 0.0);
    let n = index.norm.len().max(1) as f32;
    let mut lists: Vec<(&[Posting], Tok, f32)> = q
        .tokens
        .iter()
        .filter(|(_, wq)| *wq >= lookup.min_weight)
        .filter_map(|&(t, wq)| {
            let list = index.postings.get(t)?;
            (list.len() <= lookup.max_df).then_some((&list[..], t, wq))
        })
        .collect();
    // Rarest first; equal lists in token order, so the same query reads the same lists.
    lists.sort_unstable_by_key(|(list, t, _)| (list.len(), *t));
    let mut read = 0;
    for (list, _, wq) in lists {
        // The rarest token is always read (its list is at most `max_df` long).
        if read > 0 && read + list.len() > lookup.budget {
            break;
        }
        read += list.len();
        let idf = idf(n, list.len());
        for &(r, wr) in list {
            if acc[r as usize] == 0.0 {
                touched.push(r);
            }
            acc[r as usize] += wq.min(wr) * idf;
        }
    }
    let mut out = Vec::with_capacity(touched.len());
    for &r in touched.iter() {
        out.push((r, acc[r as usize] / index.norm[r as usize]));
        acc[r as usize] = 0.0;
    }
    touched.clear();
    out
}

/// Scores of one query against every result it shares something with: text and
/// [`structured_score`].
#[cfg(test)]
pub(super) fn query(
    q: &Profile,
    index: &Index,
    results: &[Profile],
    config: &MatchingConfig,
    lookup: Lookup,
    scratch: &mut Scratch,
) -> Vec<(u32, f32)> {
    let mut out = text_scores(q, index, lookup, scratch);
    for (r, score) in &mut out {
        *score += index.keys[*r as usize].score(q, &results[*r as usize], &config.weights);
    }
    out
}

/// The most [`structured_score`] can give any result for query `q`: what it would give a
/// result sharing every field, keyword, synonym group and the region of `q`.
pub(super) fn structured_bound(q: &Profile, w: &crate::config::collections::Weights) -> f32 {
    // A negative weight's part is largest with nothing shared.
    let part = |x: f64| x.max(0.0);
    (part(w.fields * q.field_keys.len() as f64)
        + part(w.keywords * 2.0 * q.keyword_keys.len() as f64)
        + part(w.region * f64::from(u8::from(q.region_key.is_some())))
        + part(w.keywords * q.synonyms.len() as f64)) as f32
}

/// Of `scored` (text scores), the results that can be among the best `k` once their
/// [`structured_score`] is added, with it added; the others are dropped unscored. Scoring a
/// result reads its [`Keys`], one place in memory per result: on a large site a query
/// touches thousands of results and those reads were most of its time, while all but a few
/// dozen are too far behind in text to catch up.
///
/// Exact: the `k` best text scores are scored first; the lowest of their totals is a floor
/// on the `k`-th best total, and a result whose text score plus [`structured_bound`] is
/// below that floor scores less than `k` others whatever it shares, so it is neither among
/// the best `k` nor the best of all (what [`best`] cuts relative to).
pub(super) fn with_structured(
    mut scored: Vec<(u32, f32)>,
    k: usize,
    q: &Profile,
    index: &Index,
    results: &[Profile],
    w: &crate::config::collections::Weights,
) -> Vec<(u32, f32)> {
    let extra = |r: u32| index.keys[r as usize].score(q, &results[r as usize], w);
    if k == 0 || scored.len() <= k {
        for (r, score) in &mut scored {
            *score += extra(*r);
        }
        return scored;
    }
    scored.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1));
    let (first, rest) = scored.split_at_mut(k);
    let mut floor = f32::INFINITY;
    for (r, score) in first.iter_mut() {
        *score += extra(*r);
        floor = floor.min(*score);
    }
    let bound = structured_bound(q, w);
    let mut kept = k;
    for i in 0..rest.len() {
        let (r, text) = rest[i];
        if text + bound >= floor {
            rest[kept - k] = (r, text + extra(r));
            kept += 1;
        }
    }
    scored.truncate(kept);
    scored
}

/// Matches scoring less than this share of the best one are not listed: after a strong
/// match, a weak one is noise.
pub(super) const RELATIVE_CUT: f32 = 0.15;

/// The best `k` of `scored` (highest score, then lowest index), above `min` and above
/// [`RELATIVE_CUT`] of the best.
pub(super) fn best(mut scored: Vec<(u32, f32)>, k: usize, min: f64) -> Vec<(u32, f32)> {
    let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    let top = scored.iter().map(|s| s.1).fold(0.0, f32::max);
    scored.retain(|(_, s)| f64::from(*s) >= min && *s >= top * RELATIVE_CUT);
    // The best k by a total order: selecting them first gives the same list as sorting
    // everything, in time linear in what the query touched.
    if scored.len() > k && k > 0 {
        scored.select_nth_unstable_by(k - 1, order);
    }
    scored.truncate(k);
    scored.sort_by(order);
    scored
}

pub(super) type Scratch = (Vec<f32>, Vec<u32>);

impl Index {
    /// Result `r`'s profile changed from `old` to `new`: its postings, and whether the
    /// tokens it gained or lost still tell results apart (inverse document frequencies
    /// follow from the lists' lengths).
    pub(super) fn replace(&mut self, r: u32, old: &Profile, new: &Profile) {
        self.keys[r as usize] = Keys::of(new);
        let mut changed: Vec<Tok> = Vec::new();
        for &(t, _) in &old.tokens {
            if let Some(list) = self.postings.get_mut(t)
                && let Ok(k) = list.binary_search_by_key(&r, |p| p.0)
            {
                list.remove(k);
                changed.push(t);
            }
        }
        for &(t, w) in &new.tokens {
            let list = self.postings.list(t);
            match list.binary_search_by_key(&r, |p| p.0) {
                Ok(k) => list[k].1 = w,
                Err(k) => list.insert(k, (r, w)),
            }
            changed.push(t);
        }
        for t in changed {
            let df = self.postings.get(t).map_or(0, Vec::len);
            if df == 0 {
                self.postings.remove(t);
            }
            let common = df > 0 && !Index::tells(df, self.max_df, self.norm.len());
            if common {
                self.common.insert(t);
            } else {
                self.common.remove(&t);
            }
        }
    }

    /// The length penalties again, as [`Index::new`] computes them.
    pub(super) fn renorm(&mut self, profiles: &[Profile]) {
        let n = profiles.len().max(1) as f32;
        let avg = profiles.iter().map(|p| p.tokens.len()).sum::<usize>() as f32 / n;
        self.norm = profiles
            .iter()
            .map(|p| (p.tokens.len() as f32 / avg.max(1.0)).sqrt().max(0.5))
            .collect();
    }
}
