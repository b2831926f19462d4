//! Matching supply and demand: for every item of a collection with `match_results = true`
//! (a demand, a pilot base) the results that answer it best, for every result the open items
//! it may answer, and its most related results — each ranked with a score and the reasons a
//! person can check (shared fields, shared keywords, shared terms in the text, the same
//! region, synonyms the site taught it).
//!
//! Texts are cut into the search tokenizer's tokens (CJK bigrams and trigrams, words), so
//! Chinese and English both work with no dictionary and no model. One inverted index over the
//! results' profiles is built once; each query walks only the postings of its own tokens,
//! skipping tokens too common to tell results apart, so the cost follows the postings shared,
//! never results × items. Deterministic: ties are broken by model order. It reads the model
//! only and renders nothing.
//!
//! This module owns the runs over every item and result ([`prepare`] takes what they read
//! out of the site, [`Prepared::run`] answers every query) and the preview's re-queries;
//! `profile` makes profiles, `index` scores queries against the results, `reasons` says
//! why two match.

mod index;
mod profile;
mod reasons;

use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use crate::config::{FieldKind, MatchingConfig, Schema, SiteConfig};
use crate::model::collections::Collection;
use crate::model::refs::ItemRef;
use crate::model::{Entry, EntryVersion};
use crate::search::tokenize::normalize;
use index::{
    ITEM_BUDGET, Index, Lookup, RELATED_BUDGET, RELATED_MAX_DF, Scratch, best, text_scores,
    with_structured,
};
use profile::{Profile, profile, text_of};
use reasons::{QueryText, reasons};

pub use profile::inputs_key;

/// Why two items match, in words a person can check.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Reason {
    /// Both name this key of a taxonomy enum field (`fields`, `cluster`…).
    Field { field: String, key: String },
    /// Both list this keyword.
    Keyword { keyword: String },
    /// Both texts contain these words (longest first, at most five).
    Terms { terms: Vec<String> },
    /// Both name this region.
    Region { region: String },
    /// Both use words of this synonym group (its first word names it).
    Synonym { word: String },
}

/// One ranked match.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Match {
    #[serde(skip)]
    pub target: ItemRef,
    /// The score in hundredths (integers hash and compare exactly).
    pub score: u32,
    pub reasons: Vec<Reason>,
}

/// A list of matches, shared: the preview copies [`Matches`] to change a few lists after
/// an edit, and copies of shared lists cost next to nothing.
pub type List = Arc<[Match]>;

/// Every match of the site.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Matches {
    /// Per collection and item: the best results (empty for collections that do not match).
    pub for_items: Vec<Vec<List>>,
    /// Per entry: the open items it may answer (demands, pilot bases), best first.
    pub for_entries: Vec<List>,
    /// Per entry: the most related other results.
    pub related: Vec<List>,
}

impl Matches {
    /// The matches listed on the page of `who`.
    pub fn of(&self, who: ItemRef) -> &[Match] {
        match who {
            ItemRef::Entry(i) => self.for_entries.get(i).map_or(&[], |l| l),
            ItemRef::Item { collection, item } => self
                .for_items
                .get(collection)
                .and_then(|c| c.get(item))
                .map_or(&[], |l| l),
            ItemRef::Release(_) => &[],
        }
    }
}

/// How many candidates an item keeps before the best `top` are listed on its page: the rest
/// still make it appear on the results' pages.
const CANDIDATES: usize = 20;

/// Compute every match of a site with collections (a site without has none). Held-back
/// entries and items take no part; closed items still show their matches but are offered
/// to no result.
pub fn compute(config: &SiteConfig, entries: &[Arc<Entry>], collections: &[Collection]) -> Matches {
    prepare(config, entries, collections).map_or_else(Matches::default, Prepared::matches)
}

/// What [`compute`] built that the preview keeps to re-query single items after an edit
/// (`model::rematch`): the results' profiles and index, and every item's candidates before
/// they were cut to the `top` its page lists.
pub struct State {
    synonyms: Vec<Vec<String>>,
    /// The public entries, by their place in `results`.
    public: Vec<usize>,
    results: Vec<Profile>,
    index: Index,
    /// Per collection and item, its best results (up to twenty), untruncated: the lists the
    /// results' "open demands" are gathered from.
    pub candidates: Vec<Vec<Vec<Match>>>,
}

impl State {
    /// The scored results `q` shares something with, best first, at most `k` (excluding
    /// result `skip`), looking up the tokens `lookup` says.
    fn best_of(
        &self,
        config: &MatchingConfig,
        scratch: &mut Scratch,
        q: &Profile,
        k: usize,
        skip: Option<u32>,
        lookup: Lookup,
    ) -> Vec<(u32, f32)> {
        let mut scored = text_scores(q, &self.index, lookup, scratch);
        if let Some(s) = skip {
            scored.retain(|(r, _)| *r != s);
        }
        let w = &config.weights;
        let scored = with_structured(scored, k, q, &self.index, &self.results, w);
        best(scored, k, config.min_score)
    }

    /// The candidates of the item whose query is `q`: its best results, untruncated.
    fn candidates_of(
        &self,
        config: &MatchingConfig,
        scratch: &mut Scratch,
        q: &Query,
    ) -> Vec<Match> {
        let found = self.best_of(
            config,
            scratch,
            &q.profile,
            CANDIDATES.max(config.top),
            None,
            Lookup {
                min_weight: 0.0,
                max_df: self.index.max_df,
                budget: ITEM_BUDGET,
            },
        );
        if found.is_empty() {
            return Vec::new();
        }
        let text = QueryText::new(&q.text, &self.index);
        found
            .into_iter()
            .map(|(r, score)| Match {
                target: ItemRef::Entry(self.public[r as usize]),
                score: (score * 100.0).round() as u32,
                reasons: reasons(
                    &q.profile,
                    &text,
                    &self.results[r as usize],
                    &config.synonyms,
                ),
            })
            .collect()
    }

    /// The related results of public result `r` (its place in `results`), whose profile
    /// read `text` ([`text_of`] its default version, without the body).
    fn related_of(
        &self,
        config: &MatchingConfig,
        scratch: &mut Scratch,
        r: usize,
        text: &str,
    ) -> Vec<Match> {
        // Related results are looked up by a result's title and keyword tokens only, and
        // only tokens in a two-hundredth of the results: every result is a query, so this is
        // what keeps the work in proportion to the site.
        let strong = config.weights.title.min(config.weights.keywords) as f32;
        let related_df = (self.results.len() / 200).clamp(16, RELATED_MAX_DF);

        let found = self.best_of(
            config,
            scratch,
            &self.results[r],
            config.related,
            Some(r as u32),
            Lookup {
                min_weight: strong,
                max_df: related_df,
                budget: RELATED_BUDGET,
            },
        );
        if found.is_empty() {
            return Vec::new();
        }
        let text = QueryText::new(text, &self.index);
        found
            .into_iter()
            .map(|(o, score)| Match {
                target: ItemRef::Entry(self.public[o as usize]),
                score: (score * 100.0).round() as u32,
                reasons: reasons(
                    &self.results[r],
                    &text,
                    &self.results[o as usize],
                    &config.synonyms,
                ),
            })
            .collect()
    }

    /// The candidates of item `v` (default-language version, of `schema`) as [`compute`]
    /// finds them: its best results, before they are cut to `top`.
    pub fn requery_item(
        &self,
        config: &MatchingConfig,
        v: &EntryVersion,
        schema: &Schema,
    ) -> Vec<Match> {
        let q = Query::item(v, schema, config, &self.synonyms);
        self.candidates_of(config, &mut Scratch::default(), &q)
    }

    /// Whether entry `entry`'s new default version `v` leaves the results' index as it was
    /// (same profile: only its body or fields matching does not read changed), and if so,
    /// its related results as [`compute`] finds them. `None`: the index changes, matching
    /// must be computed again.
    pub fn requery_result(
        &self,
        config: &MatchingConfig,
        schema: &Schema,
        entry: usize,
        v: &EntryVersion,
    ) -> Option<Vec<Match>> {
        let Ok(r) = self.public.binary_search(&entry) else {
            // Held back: it takes no part in matching.
            return Some(Vec::new());
        };
        if profile(v, schema, config, &self.synonyms, false) != self.results[r] {
            return None;
        }
        if config.related == 0 {
            return Some(Vec::new());
        }
        Some(self.related_of(config, &mut Scratch::default(), r, &text_of(v, false)))
    }
}

/// [`compute`], keeping its [`State`] (`None` when matching is off).
pub fn compute_keeping(
    config: &SiteConfig,
    entries: &[Arc<Entry>],
    collections: &[Collection],
) -> (Matches, Option<State>) {
    match prepare(config, entries, collections) {
        Some(prepared) => {
            let (matches, state) = prepared.run();
            (matches, Some(state))
        }
        None => (Matches::default(), None),
    }
}

/// Everything matching reads of a site, taken out of it: the results' profiles and every
/// query's profile and text. [`Prepared::run`] then needs the site no longer, so a build
/// runs the queries beside the phases that change the site (rendering bodies drops their
/// text) instead of before them.
pub struct Prepared {
    synonyms: Vec<Vec<String>>,
    public: Vec<usize>,
    results: Vec<Profile>,
    queries: Queries,
    trace: crate::trace::Trace,
}

/// What the queries read besides the results' profiles.
struct Queries {
    matching: MatchingConfig,
    /// How many entries the site has (held-back ones too).
    entries: usize,
    /// Per collection of the site, its items' queries.
    collections: Vec<ItemQueries>,
    /// Per public result, the text its related results' reasons are named from ([`text_of`]
    /// without the body); empty when the site lists no related results.
    texts: Vec<String>,
}

/// The queries of a collection's items.
struct ItemQueries {
    /// Whether its items are matched to results.
    matched: bool,
    /// Per item, its query (`None` when it is held back or its collection is not matched)
    /// and whether it is open (offered to results).
    items: Vec<(Option<Query>, bool)>,
}

/// An item's query: its profile and the text its reasons are named from.
struct Query {
    profile: Profile,
    text: String,
}

impl Query {
    fn item(
        v: &EntryVersion,
        schema: &Schema,
        config: &MatchingConfig,
        synonyms: &[Vec<String>],
    ) -> Query {
        Query {
            profile: profile(v, schema, config, synonyms, true),
            text: text_of(v, true),
        }
    }
}

impl Queries {
    /// Take the queries of this site (`public`: its public entries).
    fn take(
        config: &SiteConfig,
        entries: &[Arc<Entry>],
        collections: &[Collection],
        public: &[usize],
        synonyms: &[Vec<String>],
    ) -> Queries {
        let matching = &config.matching;
        let default = &config.default_language;
        let collections = (collections.iter())
            .map(|col| {
                let def = &config.collections[col.def];
                let items = (col.items.par_iter())
                    .map(|item| {
                        let query = (def.match_results && item.hold.is_none()).then(|| {
                            Query::item(&item.versions[default], &def.schema, matching, synonyms)
                        });
                        (query, item.is_open())
                    })
                    .collect();
                ItemQueries {
                    matched: def.match_results,
                    items,
                }
            })
            .collect();
        let texts = match matching.related {
            0 => Vec::new(),
            _ => (public.par_iter())
                .map(|&e| text_of(&entries[e].versions[default], false))
                .collect(),
        };
        Queries {
            matching: matching.clone(),
            entries: entries.len(),
            collections,
            texts,
        }
    }
}

/// Take what matching reads out of the site: every public result's profile and every
/// query (`None` when matching is off).
pub fn prepare(
    config: &SiteConfig,
    entries: &[Arc<Entry>],
    collections: &[Collection],
) -> Option<Prepared> {
    let matching = &config.matching;
    let default = &config.default_language;
    // The marketplace is on when the site declares collections; a site of results alone
    // keeps its build as it was (and its preview's fast path, which matches would defeat).
    if collections.is_empty() || !matching.enabled {
        return None;
    }
    let synonyms: Vec<Vec<String>> = matching
        .synonyms
        .iter()
        .map(|g| g.iter().map(|w| normalize(w.trim())).collect())
        .collect();
    let mut trace = crate::trace::Trace::new();
    let public: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].hold.is_none())
        .collect();
    let results: Vec<Profile> = public
        .par_iter()
        .map(|&i| {
            profile(
                &entries[i].versions[default],
                &config.schema,
                matching,
                &synonyms,
                false,
            )
        })
        .collect();
    trace.mark("matching: result profiles");
    let queries = Queries::take(config, entries, collections, &public, &synonyms);
    trace.mark("queries");
    Some(Prepared {
        synonyms,
        public,
        results,
        queries,
        trace,
    })
}

impl Prepared {
    /// [`Prepared::run`], keeping the matches only.
    pub fn matches(self) -> Matches {
        let (matches, state) = self.run();
        // The index is a map of a list per token: freeing it takes a large site a third of
        // a second, which the build need not wait for.
        // (A thread that cannot be started drops it here, with the closure.)
        let _ = std::thread::Builder::new().spawn(move || drop(state));
        matches
    }

    /// Index the results and run every query: the matches, and the state the preview keeps.
    pub fn run(self) -> (Matches, State) {
        let Prepared {
            synonyms,
            public,
            results,
            queries,
            mut trace,
        } = self;
        let index = Index::new(&results);
        trace.mark("index");
        let state = State {
            synonyms,
            public,
            results,
            index,
            candidates: Vec::new(),
        };
        let out = state.run(&queries, &mut trace);
        trace.print();
        out
    }
}

impl State {
    /// Every query over this state's index: the items' candidates and matches, the
    /// results' open items and related results.
    fn run(mut self, queries: &Queries, trace: &mut crate::trace::Trace) -> (Matches, State) {
        let state = &self;
        let matching = &queries.matching;
        let top = matching.top;
        let mut for_entries: Vec<Vec<Match>> = vec![Vec::new(); queries.entries];
        let mut for_items = Vec::with_capacity(queries.collections.len());
        let mut candidates = Vec::with_capacity(queries.collections.len());
        for (c, ItemQueries { matched, items }) in queries.collections.iter().enumerate() {
            if !matched {
                for_items.push(vec![List::default(); items.len()]);
                candidates.push(vec![Vec::new(); items.len()]);
                continue;
            }
            let lists: Vec<Vec<Match>> = items
                .par_iter()
                .map_init(Scratch::default, |scratch, (query, _)| match query {
                    Some(q) => state.candidates_of(matching, scratch, q),
                    None => Vec::new(),
                })
                .collect();
            for (i, list) in lists.iter().enumerate() {
                if !items[i].1 {
                    continue;
                }
                for m in list {
                    if let ItemRef::Entry(e) = m.target {
                        for_entries[e].push(Match {
                            target: ItemRef::Item {
                                collection: c,
                                item: i,
                            },
                            score: m.score,
                            reasons: m.reasons.clone(),
                        });
                    }
                }
            }
            for_items.push(
                lists
                    .iter()
                    .map(|l| List::from(&l[..l.len().min(top)]))
                    .collect(),
            );
            candidates.push(lists);
        }
        for list in &mut for_entries {
            list.sort_by(|a, b| b.score.cmp(&a.score).then(a.target.cmp(&b.target)));
            list.truncate(top);
        }
        trace.mark("items");
        let mut related: Vec<List> = vec![List::default(); queries.entries];
        if matching.related > 0 {
            let found: Vec<Vec<Match>> = (0..state.public.len())
                .into_par_iter()
                .map_init(Scratch::default, |scratch, r| {
                    state.related_of(matching, scratch, r, &queries.texts[r])
                })
                .collect();
            for (r, list) in found.into_iter().enumerate() {
                related[state.public[r]] = List::from(list);
            }
        }
        trace.mark("related");
        self.candidates = candidates;
        (
            Matches {
                for_items,
                for_entries: for_entries.into_iter().map(List::from).collect(),
                related,
            },
            self,
        )
    }

    /// [`compute`] again for a site whose entries `edited` changed (same entries, items and
    /// holds otherwise): the other results' profiles are kept, the index is patched where
    /// the edited results' tokens changed (with the same lists, frequencies and lengths a
    /// new index would have), and every query runs again.
    pub fn recompute(
        mut self,
        config: &SiteConfig,
        entries: &[Arc<Entry>],
        collections: &[Collection],
        edited: &[usize],
    ) -> (Matches, State) {
        let matching = &config.matching;
        let default = &config.default_language;
        for &e in edited {
            let Ok(r) = self.public.binary_search(&e) else {
                continue;
            };
            let v = &entries[e].versions[default];
            let new = profile(v, &config.schema, matching, &self.synonyms, false);
            let old = std::mem::replace(&mut self.results[r], new);
            self.index.replace(r as u32, &old, &self.results[r]);
        }
        self.index.renorm(&self.results);
        let queries = Queries::take(config, entries, collections, &self.public, &self.synonyms);
        self.run(&queries, &mut crate::trace::Trace::new())
    }
}

/// The schema a matched item is described by (for reason labels).
pub fn schema_of<'a>(
    config: &'a SiteConfig,
    collections: &[Collection],
    who: ItemRef,
) -> &'a Schema {
    match who {
        // Releases refer to nothing; the results' schema stands in.
        ItemRef::Entry(_) | ItemRef::Release(_) => &config.schema,
        ItemRef::Item { collection, .. } => &config.collections[collections[collection].def].schema,
    }
}

/// The label of enum `key` of taxonomy `field` in `lang`, as the results' schema words it.
pub fn field_labels<'s>(
    schema: &'s Schema,
    field: &'s str,
    key: &'s str,
    lang: &str,
    default: &str,
) -> (&'s str, &'s str) {
    let Some(def) = schema.fields.get(field) else {
        return (field, key);
    };
    let label = def.label.get(lang, default, field);
    let option = match &def.kind {
        FieldKind::List { item } => item.kind.enum_options(),
        k => k.enum_options(),
    }
    .and_then(|o| o.iter().find(|o| o.key == key))
    .map_or(key, |o| o.labels.get(lang, default, key));
    (label, option)
}

#[cfg(test)]
mod tests {
    use super::index::*;
    use super::profile::*;
    use super::*;
    use crate::validate::Value;

    /// A small deterministic generator (xorshift), so the tests need no crate.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn keys(&mut self, max: u64) -> Vec<u64> {
            let n = self.next() % 6;
            let mut v: Vec<u64> = (0..n).map(|_| self.next() % max).collect();
            v.sort_unstable();
            v.dedup();
            v
        }
    }

    #[test]
    fn the_inputs_key_changes_with_what_matching_reads_and_only_with_it() {
        let site = crate::sample_site().site;
        let (config, cols) = (&site.config, &site.collections[..]);
        let key = |entries: &[Arc<Entry>], cols: &[Collection]| inputs_key(config, entries, cols);
        let base = key(&site.entries, cols);
        assert_eq!(base, key(&site.entries, cols), "deterministic");
        let default = config.default_language.clone();
        let public = (site.entries.iter())
            .position(|e| e.hold.is_none())
            .expect("a public result");
        let with = |f: &dyn Fn(&mut EntryVersion)| {
            let mut entries = site.entries.clone();
            let e = Arc::make_mut(&mut entries[public]);
            f(e.versions.get_mut(&default).expect("default version"));
            key(&entries, cols)
        };
        // A result's body is not read (its profile is its title, summary and keywords).
        assert_eq!(
            base,
            with(&|v| v.body = crate::load::Body::new("别的正文。", 0))
        );
        assert_ne!(base, with(&|v| v.title.push('乙')), "title");
        assert_ne!(
            base,
            with(&|v| v.summary = Some("另一个摘要".into())),
            "summary"
        );
        assert_ne!(
            base,
            with(&|v| {
                v.values.insert(
                    "keywords".into(),
                    Value::List(Box::new([Value::Text("新词".into())])),
                );
            }),
            "keywords"
        );
        let mut reordered = site.entries.clone();
        reordered.swap(0, 1);
        assert_ne!(
            base,
            key(&reordered, cols),
            "the results' order (ties, references)"
        );
        // An item's body is read (demands say what they need in their text), and whether it
        // is open.
        let (c, i) = (cols.iter().enumerate())
            .find_map(|(c, col)| (!col.items.is_empty()).then_some((c, 0)))
            .expect("an item");
        let item_with = |f: &dyn Fn(&mut crate::model::collections::Item)| {
            let mut cols = cols.to_vec();
            f(Arc::make_mut(&mut cols[c].items[i]));
            key(&site.entries, &cols)
        };
        assert_ne!(
            base,
            item_with(&|it| {
                let v = it.versions.get_mut(&default).expect("default version");
                v.body = crate::load::Body::new("需要一种新的催化剂。", 0);
            }),
            "an item's body"
        );
        assert_ne!(
            base,
            item_with(&|it| it.closed = !it.closed),
            "open or closed"
        );
    }

    fn random_profile(rng: &mut Rng) -> Profile {
        let mut p = Profile {
            field_keys: rng.keys(8),
            keyword_keys: rng.keys(12),
            region_key: (!rng.next().is_multiple_of(3)).then(|| rng.next() % 3),
            ..Profile::default()
        };
        p.synonyms = rng.keys(4).into_iter().map(|g| g as usize).collect();
        p
    }

    #[test]
    fn inline_keys_score_like_the_profiles_they_were_taken_from() {
        let w = crate::config::collections::Weights::default();
        let mut rng = Rng(0x5eed);
        let mut spilled = 0;
        for _ in 0..2000 {
            let (q, r) = (random_profile(&mut rng), random_profile(&mut rng));
            let keys = Keys::of(&r);
            spilled += usize::from(keys.spilled);
            assert_eq!(keys.score(&q, &r, &w), structured_score(&q, &r, &w));
        }
        // Both ways of scoring were exercised.
        assert!(spilled > 0 && spilled < 2000, "{spilled}");
    }

    #[test]
    fn scoring_only_the_results_that_can_win_lists_the_same_best() {
        let mut rng = Rng(7);
        let mut skipped = 0;
        for round in 0..300 {
            // Results with a few tokens each from a small vocabulary, so queries touch
            // many of them with close text scores, and random structured keys.
            let results: Vec<Profile> = (0..200)
                .map(|_| {
                    let mut p = random_profile(&mut rng);
                    let mut tokens: Vec<(Tok, f32)> = (rng.keys(30).into_iter())
                        .map(|t| (t, 20.0 * (1 + t % 3) as f32))
                        .collect();
                    tokens.truncate(6);
                    p.tokens = tokens;
                    p
                })
                .collect();
            let index = Index::new(&results);
            let mut q = random_profile(&mut rng);
            q.tokens = rng.keys(30).into_iter().map(|t| (t, 40.0)).collect();
            let mut w = crate::config::collections::Weights::default();
            if round % 3 == 0 {
                // Structured parts that outweigh text, and one that counts against.
                (w.fields, w.region) = (40.0, -2.0);
            }
            let config = MatchingConfig {
                enabled: true,
                top: 5,
                related: 4,
                min_score: 0.5,
                weights: w,
                synonyms: Vec::new(),
                fields: Vec::new(),
            };
            let lookup = Lookup {
                min_weight: 0.0,
                max_df: 1000,
                budget: 100_000,
            };
            let k = (round % 25) as usize;
            let scratch = &mut Scratch::default();
            let all = query(&q, &index, &results, &config, lookup, scratch);
            let text = text_scores(&q, &index, lookup, scratch);
            let pruned = with_structured(text, k, &q, &index, &results, &w);
            skipped += all.len() - pruned.len();
            assert_eq!(
                best(pruned, k, config.min_score),
                best(all, k, config.min_score),
                "round {round}"
            );
        }
        // Results were left unscored, so the shortcut was exercised.
        assert!(skipped > 1000, "{skipped} skipped");
    }

    #[test]
    fn the_best_k_are_those_a_full_sort_gives() {
        let mut rng = Rng(42);
        for round in 0..500 {
            let n = (rng.next() % 60) as usize;
            // Few distinct scores, so ties (broken by index) are common.
            let scored: Vec<(u32, f32)> = (0..n)
                .map(|i| (i as u32, (rng.next() % 9) as f32))
                .collect();
            let k = (round % 7) as usize;
            let mut sorted = scored.clone();
            sorted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let top = sorted.first().map_or(0.0, |s| s.1);
            sorted.retain(|(_, s)| f64::from(*s) >= 1.0 && *s >= top * RELATIVE_CUT);
            sorted.truncate(k);
            assert_eq!(best(scored, k, 1.0), sorted);
        }
    }

    #[test]
    fn a_query_reads_its_rarest_tokens_first_and_stops_at_its_budget() {
        // 300 results: token 1 in all of them, token 2 in 100, token 3 in one (result 7).
        let results: Vec<Profile> = (0..300u32)
            .map(|i| {
                let mut tokens = vec![(1, 1.0)];
                if i % 3 == 0 {
                    tokens.push((2, 1.0));
                }
                if i == 7 {
                    tokens.push((3, 1.0));
                }
                Profile {
                    tokens,
                    ..Profile::default()
                }
            })
            .collect();
        let index = Index::new(&results);
        let q = Profile {
            tokens: vec![(1, 1.0), (2, 1.0), (3, 1.0)],
            ..Profile::default()
        };
        let config = MatchingConfig {
            enabled: true,
            top: 5,
            related: 4,
            min_score: 0.0,
            weights: crate::config::collections::Weights::default(),
            synonyms: Vec::new(),
            fields: Vec::new(),
        };
        let touched = |budget: usize| {
            let lookup = Lookup {
                min_weight: 0.0,
                max_df: 1000,
                budget,
            };
            let mut scored = query(
                &q,
                &index,
                &results,
                &config,
                lookup,
                &mut Scratch::default(),
            );
            scored.sort_by_key(|s| s.0);
            scored.into_iter().map(|s| s.0).collect::<Vec<_>>()
        };
        // The rare token is always read; the next list only if it fits the budget.
        assert_eq!(touched(50), vec![7]);
        assert_eq!(touched(101).len(), 101);
        assert_eq!(touched(100_000).len(), 300);
    }
}
