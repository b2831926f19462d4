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

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use crate::config::{FieldKind, MatchingConfig, Schema, SiteConfig};
use crate::model::collections::Collection;
use crate::model::refs::ItemRef;
use crate::model::{Entry, EntryVersion};
use crate::search::tokenize::{NGRAM, Piece, normalize, pieces, scan};
use crate::validate::Value;

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

/// Body characters read into a profile: the opening of a text says what it is about.
const BODY_CHARS: usize = 1200;

type Hasher = foldhash::fast::FixedState;
type Tok = u64;

fn tok_hash(s: &str) -> Tok {
    Hasher::with_seed(0x6761_7a65_7474_6521).hash_one(s)
}

/// What matching knows of one item.
#[derive(Debug, Default, PartialEq)]
struct Profile {
    /// (token, weight), sorted by token: the largest weight of the parts it occurs in.
    tokens: Vec<(Tok, f32)>,
    /// (field, key) of taxonomy enum values.
    fields: Vec<(Arc<str>, String)>,
    keywords: Vec<String>,
    region: Option<String>,
    /// The hash of `region`: what scoring compares.
    region_key: Option<u64>,
    synonyms: Vec<usize>,
    /// Hashes of `fields` and `keywords`, sorted: what scoring compares (the strings are
    /// compared only for the reasons of the matches kept).
    field_keys: Vec<u64>,
    keyword_keys: Vec<u64>,
}

/// How many values two sorted lists share.
fn common(a: &[u64], b: &[u64]) -> usize {
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

/// Words too common in English text to say anything.
const STOP: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "in", "is", "it", "its",
    "of", "on", "or", "that", "the", "this", "to", "with", "we", "can", "which",
];

/// Every token of `norm` (normalized text) matching uses: CJK bigrams and trigrams, and
/// words of two or more characters that are not stop words.
fn each_token(norm: &str, f: impl FnMut(Tok)) {
    let f = std::cell::RefCell::new(f);
    scan(
        norm,
        |g| {
            if g.len() >= 2 {
                (f.borrow_mut())(gram_hash(g));
            }
        },
        |w| {
            if w.chars().count() >= 2 && !STOP.contains(&w) {
                (f.borrow_mut())(tok_hash(w));
            }
        },
    );
}

/// The token hash of an n-gram of at most [`NGRAM`] characters, spelt out on the stack.
fn gram_hash(g: &[char]) -> Tok {
    let mut buf = [0u8; 4 * NGRAM];
    let mut n = 0;
    for c in g.iter().take(NGRAM) {
        n += c.encode_utf8(&mut buf[n..]).len();
    }
    tok_hash(std::str::from_utf8(&buf[..n]).unwrap_or_default())
}

/// One part of what a profile is made of.
enum Part<'v> {
    Title(&'v str),
    Summary(&'v str),
    /// The opening of the body (items only).
    Body(&'v str),
    Keyword(&'v str),
    Region(&'v str),
    /// A key of a taxonomy enum field `matching.fields` names.
    Field(&'v Arc<str>, &'v str),
}

/// Every part of version `v` (of a document of `schema`) a profile is made of, in order:
/// what [`profile`] builds from and what [`inputs_key`] hashes, so the two cannot drift
/// apart. `body`: whether the opening of the body counts (see [`profile`]).
fn each_part<'v>(
    v: &'v EntryVersion,
    schema: &'v Schema,
    config: &MatchingConfig,
    body: bool,
    mut f: impl FnMut(Part<'v>),
) {
    f(Part::Title(&v.title));
    if let Some(s) = &v.summary {
        f(Part::Summary(s));
    }
    if body {
        f(Part::Body(body_opening(v)));
    }
    for k in v
        .values
        .get("keywords")
        .map(Value::texts)
        .unwrap_or_default()
    {
        f(Part::Keyword(k));
    }
    if let Some(r) = v.values.get("region").and_then(Value::as_text) {
        f(Part::Region(r));
    }
    for (name, def) in &schema.fields {
        if def.taxonomy && def.kind.enum_options().is_some() && config.fields.contains(name) {
            for key in v.values.get(name).map(Value::texts).unwrap_or_default() {
                f(Part::Field(&def.name, key));
            }
        }
    }
}

/// The profile of version `v` of a document of `schema`. `body` says whether the opening of
/// the body counts: it does for the items matched (demands say what they need in their
/// text), not for the results indexed, whose title, keywords and summary say what they are
/// (and whose bodies would make the index several times larger).
fn profile(
    v: &EntryVersion,
    schema: &Schema,
    config: &MatchingConfig,
    synonyms: &[Vec<String>],
    body: bool,
) -> Profile {
    let w = &config.weights;
    let mut p = Profile::default();
    // Every (token, weight) found, repeats included: sorted and cut to each token's largest
    // weight below, cheaper than a map for the few hundred tokens of a profile.
    let mut tokens: Vec<(Tok, f32)> = Vec::with_capacity(512);
    let mut add = |text: &str, weight: f64, p: &mut Profile| {
        if weight <= 0.0 {
            return;
        }
        let norm = normalize(text);
        each_token(&norm, |t| tokens.push((t, weight as f32)));
        if !synonyms.is_empty() {
            for (g, words) in synonyms.iter().enumerate() {
                if words.iter().any(|s| norm.contains(s.as_str())) && !p.synonyms.contains(&g) {
                    p.synonyms.push(g);
                }
            }
        }
    };
    each_part(v, schema, config, body, |part| match part {
        Part::Title(t) => add(t, w.title, &mut p),
        Part::Summary(t) => add(t, w.summary, &mut p),
        Part::Body(t) => add(t, w.body, &mut p),
        Part::Keyword(k) => {
            add(k, w.keywords, &mut p);
            p.keywords.push(normalize(k.trim()));
        }
        Part::Region(r) => {
            p.region = Some(r.trim().to_string());
            p.region_key = Some(tok_hash(r.trim()));
        }
        Part::Field(name, key) => p.fields.push((name.clone(), key.to_string())),
    });
    // By token, each with its largest weight.
    tokens.sort_unstable_by_key(|t| t.0);
    tokens.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 = kept.1.max(later.1);
        }
        same
    });
    p.tokens = tokens;
    p.synonyms.sort_unstable();
    p.field_keys = p
        .fields
        .iter()
        .map(|(f, k)| tok_hash(&format!("{f}\u{0}{k}")))
        .collect();
    p.field_keys.sort_unstable();
    p.field_keys.dedup();
    p.keyword_keys = p
        .keywords
        .iter()
        .filter(|k| !k.is_empty())
        .map(|k| tok_hash(k))
        .collect();
    p.keyword_keys.sort_unstable();
    p.keyword_keys.dedup();
    p
}

/// Feed `h` every part of version `v` a profile is made of ([`each_part`]), each tagged and
/// length-prefixed: two versions that feed the same bytes have the same profile, and the
/// same text for reasons ([`text_of`] reads a subset of the same parts).
fn hash_profile_inputs(
    v: &EntryVersion,
    schema: &Schema,
    config: &MatchingConfig,
    body: bool,
    h: &mut xxhash_rust::xxh3::Xxh3,
) {
    let mut text = |tag: u8, t: &str| {
        h.update(&[tag]);
        h.update(&(t.len() as u64).to_le_bytes());
        h.update(t.as_bytes());
    };
    each_part(v, schema, config, body, |part| match part {
        Part::Title(t) => text(0, t),
        Part::Summary(t) => text(1, t),
        Part::Body(t) => text(2, t),
        Part::Keyword(t) => text(3, t),
        Part::Region(t) => text(4, t),
        Part::Field(name, key) => {
            text(5, name);
            text(6, key);
        }
    });
}

/// A key of everything [`compute`] reads: the matching settings and schemas, and per result
/// and per item its place, whether it takes part (held back, open) and what its profile
/// reads. The same key means [`compute`] gives the same matches (`model::match_cache`).
pub fn inputs_key(config: &SiteConfig, entries: &[Arc<Entry>], collections: &[Collection]) -> u64 {
    use xxhash_rust::xxh3::{Xxh3, xxh3_64};
    let matching = &config.matching;
    let default = &config.default_language;
    let settings = format!(
        "{matching:?}\n{:?}\n{default:?}\n{:?}",
        config.schema,
        (config.collections.iter())
            .map(|d| (&d.name, d.match_results, &d.schema))
            .collect::<Vec<_>>()
    );
    let each = |v: Option<&EntryVersion>, schema: &Schema, taking_part: u8, body: bool| {
        let mut h = Xxh3::new();
        h.update(&[taking_part]);
        if let Some(v) = v {
            h.update(v.source.path.as_os_str().as_encoded_bytes());
            hash_profile_inputs(v, schema, matching, body, &mut h);
        }
        h.digest()
    };
    let results: Vec<u64> = entries
        .par_iter()
        .map(|e| {
            each(
                e.versions.get(default).map(|v| &**v),
                &config.schema,
                e.hold.is_some() as u8,
                false,
            )
        })
        .collect();
    let mut all = Xxh3::new();
    all.update(&xxh3_64(settings.as_bytes()).to_le_bytes());
    all.update(&(results.len() as u64).to_le_bytes());
    for r in results {
        all.update(&r.to_le_bytes());
    }
    for col in collections {
        let schema = &config.collections[col.def].schema;
        let items: Vec<u64> = (col.items.par_iter())
            .map(|it| {
                let part = it.hold.is_some() as u8 | (it.is_open() as u8) << 1;
                each(it.versions.get(default).map(|v| &**v), schema, part, true)
            })
            .collect();
        all.update(&(col.def as u64).to_le_bytes());
        all.update(&(items.len() as u64).to_le_bytes());
        for i in items {
            all.update(&i.to_le_bytes());
        }
    }
    all.digest()
}

/// The weight of what `a` and `b` share besides text.
fn structured_score(a: &Profile, b: &Profile, w: &crate::config::collections::Weights) -> f32 {
    let region = a.region_key.is_some() && a.region_key == b.region_key;
    weigh(
        w,
        common(&a.field_keys, &b.field_keys),
        common(&a.keyword_keys, &b.keyword_keys),
        region,
        a.synonyms.iter().filter(|g| b.synonyms.contains(g)).count(),
    )
}

fn weigh(
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
const KEYS: usize = 10;

/// What [`structured_score`] compares of a result, inline in one array of the index, so
/// scoring a result a query touched reads one place in memory: at 100,000 results the
/// three scattered reads of a [`Profile`] per touched result were most of matching's time.
#[derive(Clone, Copy, Debug, Default)]
struct Keys {
    /// Field keys, keyword keys, then synonym groups, each part sorted.
    keys: [u64; KEYS],
    fields: u8,
    keywords: u8,
    synonyms: u8,
    /// The profile has more keys than fit: its own lists are read instead.
    spilled: bool,
    region: Option<u64>,
}

impl Keys {
    fn of(p: &Profile) -> Keys {
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
    fn score(&self, q: &Profile, r: &Profile, w: &crate::config::collections::Weights) -> f32 {
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

/// The first [`BODY_CHARS`] characters of a version's body.
fn body_opening(v: &EntryVersion) -> &str {
    let body = v.body.text();
    let cut = body
        .char_indices()
        .nth(BODY_CHARS)
        .map_or(body.len(), |(i, _)| i);
    &body[..cut]
}

/// The inverted index over the results' profiles.
struct Index {
    postings: HashMap<Tok, Vec<(u32, f32)>, Hasher>,
    /// Per token, its inverse document frequency.
    idf: HashMap<Tok, f32, Hasher>,
    /// Tokens in more results than this (a twentieth of them, at most [`ITEM_BUDGET`]) are
    /// skipped: they tell nothing apart.
    max_df: usize,
    /// Per result, a length penalty: long texts share more tokens by chance.
    norm: Vec<f32>,
    /// Per result, what scoring compares besides text.
    keys: Vec<Keys>,
    /// The tokens that do not tell results apart ([`Index::tells`]): few, so a query's
    /// tokens are checked against them without a lookup in `postings`.
    common: std::collections::HashSet<Tok, Hasher>,
}

impl Index {
    fn new(profiles: &[Profile]) -> Index {
        let mut postings: HashMap<Tok, Vec<(u32, f32)>, Hasher> = HashMap::default();
        for (i, p) in profiles.iter().enumerate() {
            for &(t, w) in &p.tokens {
                postings.entry(t).or_default().push((i as u32, w));
            }
        }
        let n = profiles.len().max(1) as f32;
        let idf = postings
            .iter()
            .map(|(&t, list)| (t, (1.0 + n / list.len() as f32).ln()))
            .collect();
        let avg = profiles.iter().map(|p| p.tokens.len()).sum::<usize>() as f32 / n;
        let norm = profiles
            .iter()
            .map(|p| (p.tokens.len() as f32 / avg.max(1.0)).sqrt().max(0.5))
            .collect();
        let max_df = (profiles.len() / 20).clamp(64, ITEM_BUDGET);
        let common = (postings.iter())
            .filter(|(_, list)| !Index::tells(list.len(), max_df, profiles.len()))
            .map(|(&t, _)| t)
            .collect();
        Index {
            postings,
            idf,
            max_df,
            norm,
            keys: profiles.iter().map(Keys::of).collect(),
            common,
        }
    }

    /// Whether a token in `df` of `n` results is worth naming as a reason: not skipped by
    /// queries, and not in a quarter of the results or more (on sites large enough for
    /// that to say anything).
    fn tells(df: usize, max_df: usize, n: usize) -> bool {
        df <= max_df && (n < 8 || df * 4 <= n)
    }
}

/// One result holding a token, and the token's weight in it.
type Posting = (u32, f32);

/// Which of a query's tokens are looked up in the index.
#[derive(Clone, Copy)]
struct Lookup {
    /// Tokens weighing less than this in the query are not looked up.
    min_weight: f32,
    /// Tokens in more results than this are not looked up.
    max_df: usize,
    /// Postings read per query, at most (give or take one token's list): tokens are read
    /// rarest first (they weigh the most), and the commonest are left out once this many
    /// postings were read. This is what keeps a query's cost from growing with the site,
    /// and so matching linear: the lists of a token grow with the number of results.
    budget: usize,
}

/// Postings an item's query reads at most: a demand of a 10,000-result generated site has
/// some 20 tokens whose lists hold 4,000 postings together; on larger sites its commonest
/// tokens (the lowest inverse document frequencies) are left out. Every result it reads is
/// also scored on fields, keywords and region, so this bounds that work too.
const ITEM_BUDGET: usize = 4096;

/// Postings a result's query for related results reads at most (it reads only its title
/// and keyword tokens in a two-hundredth of the results: ~150 at 10,000 results).
const RELATED_BUDGET: usize = 512;

/// Tokens in more results than this are not looked up for related results (nor in more
/// than a two-hundredth of them): a word a hundred results share does not make two of them
/// related. At 100,000 results this took the related-results queries from 4.3 s to 1.4 s.
const RELATED_MAX_DF: usize = 128;

/// Text scores of one query against every result it shares a token with (see [`Lookup`]
/// for which tokens are looked up), in the order the results were met. `acc` and `touched`
/// are scratch space, left empty.
fn text_scores(
    q: &Profile,
    index: &Index,
    lookup: Lookup,
    (acc, touched): &mut Scratch,
) -> Vec<(u32, f32)> {
    acc.resize(index.norm.len(), 0.0);
    let mut lists: Vec<(&[Posting], Tok, f32)> = q
        .tokens
        .iter()
        .filter(|(_, wq)| *wq >= lookup.min_weight)
        .filter_map(|&(t, wq)| {
            let list = index.postings.get(&t)?;
            (list.len() <= lookup.max_df).then_some((&list[..], t, wq))
        })
        .collect();
    // Rarest first; equal lists in token order, so the same query reads the same lists.
    lists.sort_unstable_by_key(|(list, t, _)| (list.len(), *t));
    let mut read = 0;
    for (list, t, wq) in lists {
        // The rarest token is always read (its list is at most `max_df` long).
        if read > 0 && read + list.len() > lookup.budget {
            break;
        }
        read += list.len();
        let idf = index.idf[&t];
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
fn query(
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
fn structured_bound(q: &Profile, w: &crate::config::collections::Weights) -> f32 {
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
fn with_structured(
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

/// What two profiles share besides text.
#[derive(Default)]
struct Shared {
    fields: Vec<(String, String)>,
    keywords: Vec<String>,
    region: Option<String>,
    synonyms: Vec<usize>,
}

fn structured(a: &Profile, b: &Profile) -> Shared {
    Shared {
        fields: a
            .fields
            .iter()
            .filter(|f| b.fields.contains(f))
            .map(|(f, k)| (f.to_string(), k.clone()))
            .collect(),
        keywords: a
            .keywords
            .iter()
            .filter(|k| !k.is_empty() && b.keywords.contains(k))
            .cloned()
            .collect(),
        region: a.region.clone().filter(|r| b.region.as_ref() == Some(r)),
        synonyms: a
            .synonyms
            .iter()
            .filter(|g| b.synonyms.contains(g))
            .copied()
            .collect(),
    }
}

/// Matches scoring less than this share of the best one are not listed: after a strong
/// match, a weak one is noise.
const RELATIVE_CUT: f32 = 0.15;

/// The best `k` of `scored` (highest score, then lowest index), above `min` and above
/// [`RELATIVE_CUT`] of the best.
fn best(mut scored: Vec<(u32, f32)>, k: usize, min: f64) -> Vec<(u32, f32)> {
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

/// Whether token `h` is worth naming as a reason ([`Index::tells`]): a token the index does
/// not hold is in no result, so no result shares it.
fn telling(h: Tok, index: &Index) -> bool {
    !index.common.contains(&h)
}

/// A query's text cut once: its CJK runs with the bigram starting at each character, and
/// its words, each as its place in `all` when it tells results apart ([`telling`], asked
/// once per query). Each of the query's matches then only walks `all` beside the other
/// side's tokens and marks what both have.
struct QueryText {
    /// The CJK characters, run after run.
    chars: Vec<char>,
    /// Per character, the place in `all` of the bigram starting there (none at a run's last
    /// one, nor for a bigram that does not tell).
    grams: Vec<Option<u32>>,
    /// Where each CJK run is in `chars`.
    runs: Vec<std::ops::Range<usize>>,
    /// Words that could be named (two characters or more, not a number, not a stop word,
    /// telling), with their place in `all`.
    words: Vec<(String, u32)>,
    /// The hashes of the telling bigrams and words, sorted, once each.
    all: Vec<Tok>,
}

impl QueryText {
    fn new(text: &str, index: &Index) -> QueryText {
        let mut chars: Vec<char> = Vec::new();
        let mut gram_hashes: Vec<Option<Tok>> = Vec::new();
        let mut runs = Vec::new();
        let mut words: Vec<(String, Tok)> = Vec::new();
        for piece in pieces(&normalize(text)) {
            match piece {
                Piece::Cjk(run) => {
                    let start = chars.len();
                    gram_hashes.extend(run.windows(2).map(|pair| Some(gram_hash(pair))));
                    gram_hashes.push(None);
                    chars.extend(run);
                    runs.push(start..chars.len());
                }
                Piece::Word(w) => {
                    if w.chars().nth(1).is_some()
                        && !w.chars().all(|c| c.is_ascii_digit())
                        && !STOP.contains(&w.as_str())
                    {
                        let h = tok_hash(&w);
                        words.push((w, h));
                    }
                }
            }
        }
        let tells = |h: &Tok| telling(*h, index);
        let mut all: Vec<Tok> = gram_hashes
            .iter()
            .flatten()
            .copied()
            .filter(tells)
            .collect();
        all.extend(words.iter().map(|w| w.1).filter(tells));
        all.sort_unstable();
        all.dedup();
        let place = |h: Tok| all.binary_search(&h).ok().map(|i| i as u32);
        QueryText {
            grams: gram_hashes.iter().map(|h| h.and_then(place)).collect(),
            words: (words.into_iter())
                .filter_map(|(w, h)| Some((w, place(h)?)))
                .collect(),
            chars,
            runs,
            all,
        }
    }
}

/// The words both `a` and `b` contain that tell them apart from other results: a CJK
/// stretch whose overlapping bigrams are all shared is named whole (`有机玻璃`, not `有机`,
/// `机玻`, `玻璃`); longest first, at most five.
fn shared_terms(a: &QueryText, b: &Profile) -> Vec<String> {
    // Which of `a.all` `b` has too (two sorted lists walked together).
    let mut shared = vec![false; a.all.len()];
    let mut any = false;
    let (mut i, mut j) = (0, 0);
    while i < a.all.len() && j < b.tokens.len() {
        match a.all[i].cmp(&b.tokens[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared[i] = true;
                any = true;
                i += 1;
                j += 1;
            }
        }
    }
    if !any {
        return Vec::new();
    }
    let has = |g: &Option<u32>| g.is_some_and(|i| shared[i as usize]);
    let mut found: Vec<String> = Vec::new();
    let push = |t: String, found: &mut Vec<String>| {
        if !found.contains(&t) {
            found.push(t);
        }
    };
    for run in &a.runs {
        let (chars, grams) = (&a.chars[run.clone()], &a.grams[run.clone()]);
        let mut run_start: Option<usize> = None;
        for i in 0..chars.len() {
            match (has(&grams[i]), run_start) {
                (true, None) => run_start = Some(i),
                (false, Some(st)) => {
                    push(chars[st..=i].iter().collect(), &mut found);
                    run_start = None;
                }
                _ => {}
            }
        }
    }
    for (w, i) in &a.words {
        if shared[*i as usize] {
            push(w.clone(), &mut found);
        }
    }
    found.sort_by(|x, y| y.chars().count().cmp(&x.chars().count()).then(x.cmp(y)));
    let mut kept: Vec<String> = Vec::new();
    for t in found {
        if !kept.iter().any(|k| k.contains(t.as_str())) {
            kept.push(t);
        }
    }
    kept.truncate(5);
    kept
}

fn reasons(q: &Profile, q_text: &QueryText, r: &Profile, synonyms: &[Vec<String>]) -> Vec<Reason> {
    let s = structured(q, r);
    let mut out: Vec<Reason> = s
        .fields
        .into_iter()
        .map(|(field, key)| Reason::Field { field, key })
        .collect();
    out.extend(
        s.keywords
            .into_iter()
            .map(|keyword| Reason::Keyword { keyword }),
    );
    out.extend(s.synonyms.into_iter().map(|g| Reason::Synonym {
        word: synonyms[g].join(" = "),
    }));
    let terms = shared_terms(q_text, r);
    if !terms.is_empty() {
        out.push(Reason::Terms { terms });
    }
    if let Some(region) = s.region {
        out.push(Reason::Region { region });
    }
    out
}

/// The text a profile's shared terms are looked for in: what its profile read (`body`:
/// with the opening of the body, as for the items matched; a result's related results are
/// found by its title and keywords, and named by what the results' profiles hold).
fn text_of(v: &EntryVersion, body: bool) -> String {
    let mut t = v.title.clone();
    let body = if body { body_opening(v) } else { "" };
    for part in [v.summary.as_deref().unwrap_or(""), body] {
        t.push('\n');
        t.push_str(part);
    }
    if let Some(k) = v.values.get("keywords") {
        for k in k.texts() {
            t.push('\n');
            t.push_str(k);
        }
    }
    t
}

/// Compute every match of a site with collections (a site without has none). Held-back entries and items take no part; closed items
/// still show their matches but are offered to no result.
pub fn compute(config: &SiteConfig, entries: &[Arc<Entry>], collections: &[Collection]) -> Matches {
    let (matches, state) = compute_keeping(config, entries, collections);
    // The index is a map of a list per token: freeing it takes a large site a third of a
    // second, which the build need not wait for.
    // (A thread that cannot be started drops it here, with the closure.)
    if let Some(state) = state {
        let _ = std::thread::Builder::new().spawn(move || drop(state));
    }
    matches
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

type Scratch = (Vec<f32>, Vec<u32>);

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

    /// The candidates of an item (version `v` in the default language, of `schema`): its
    /// best results, untruncated.
    fn item_candidates(
        &self,
        config: &MatchingConfig,
        scratch: &mut Scratch,
        v: &EntryVersion,
        schema: &Schema,
    ) -> Vec<Match> {
        let q = profile(v, schema, config, &self.synonyms, true);
        let found = self.best_of(
            config,
            scratch,
            &q,
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
        let text = QueryText::new(&text_of(v, true), &self.index);
        found
            .into_iter()
            .map(|(r, score)| Match {
                target: ItemRef::Entry(self.public[r as usize]),
                score: (score * 100.0).round() as u32,
                reasons: reasons(&q, &text, &self.results[r as usize], &config.synonyms),
            })
            .collect()
    }

    /// The related results of public result `r` (its place in `results`), whose default
    /// version is `v`.
    fn related_of(
        &self,
        config: &MatchingConfig,
        scratch: &mut Scratch,
        r: usize,
        v: &EntryVersion,
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
        let text = QueryText::new(&text_of(v, false), &self.index);
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
        self.item_candidates(config, &mut Scratch::default(), v, schema)
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
        Some(self.related_of(config, &mut Scratch::default(), r, v))
    }
}

/// [`compute`], keeping its [`State`] (`None` when matching is off).
pub fn compute_keeping(
    config: &SiteConfig,
    entries: &[Arc<Entry>],
    collections: &[Collection],
) -> (Matches, Option<State>) {
    let matching = &config.matching;
    let default = &config.default_language;
    // The marketplace is on when the site declares collections; a site of results alone
    // keeps its build as it was (and its preview's fast path, which matches would defeat).
    if collections.is_empty() || !matching.enabled {
        return (Matches::default(), None);
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
    let index = Index::new(&results);
    trace.mark("index");
    let state = State {
        synonyms,
        public,
        results,
        index,
        candidates: Vec::new(),
    };
    let (matches, state) = state.run(config, entries, collections, &mut trace);
    trace.print();
    (matches, Some(state))
}

impl State {
    /// Every query of [`compute`] over this state's index: the items' candidates and
    /// matches, the results' open items and related results.
    fn run(
        mut self,
        config: &SiteConfig,
        entries: &[Arc<Entry>],
        collections: &[Collection],
        trace: &mut crate::trace::Trace,
    ) -> (Matches, State) {
        let state = &self;
        let matching = &config.matching;
        let default = &config.default_language;
        let top = matching.top;
        let mut for_entries: Vec<Vec<Match>> = vec![Vec::new(); entries.len()];
        let mut for_items = Vec::with_capacity(collections.len());
        let mut candidates = Vec::with_capacity(collections.len());
        for (c, col) in collections.iter().enumerate() {
            let def = &config.collections[col.def];
            if !def.match_results {
                for_items.push(vec![List::default(); col.items.len()]);
                candidates.push(vec![Vec::new(); col.items.len()]);
                continue;
            }
            let lists: Vec<Vec<Match>> = col
                .items
                .par_iter()
                .map_init(Scratch::default, |scratch, item| {
                    if item.hold.is_some() {
                        return Vec::new();
                    }
                    let v = &item.versions[default];
                    state.item_candidates(matching, scratch, v, &def.schema)
                })
                .collect();
            for (i, list) in lists.iter().enumerate() {
                if !col.items[i].is_open() {
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
        let mut related: Vec<List> = vec![List::default(); entries.len()];
        if matching.related > 0 {
            let found: Vec<Vec<Match>> = (0..state.public.len())
                .into_par_iter()
                .map_init(Scratch::default, |scratch, r| {
                    let v = &entries[state.public[r]].versions[default];
                    state.related_of(matching, scratch, r, v)
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
        self.run(
            config,
            entries,
            collections,
            &mut crate::trace::Trace::new(),
        )
    }
}

impl Index {
    /// Result `r`'s profile changed from `old` to `new`: its postings, and the inverse
    /// document frequencies of the tokens it gained or lost.
    fn replace(&mut self, r: u32, old: &Profile, new: &Profile) {
        self.keys[r as usize] = Keys::of(new);
        let n = self.norm.len().max(1) as f32;
        let mut changed: Vec<Tok> = Vec::new();
        for &(t, _) in &old.tokens {
            if let Some(list) = self.postings.get_mut(&t)
                && let Ok(k) = list.binary_search_by_key(&r, |p| p.0)
            {
                list.remove(k);
                changed.push(t);
            }
        }
        for &(t, w) in &new.tokens {
            let list = self.postings.entry(t).or_default();
            match list.binary_search_by_key(&r, |p| p.0) {
                Ok(k) => list[k].1 = w,
                Err(k) => list.insert(k, (r, w)),
            }
            changed.push(t);
        }
        for t in changed {
            let df = match self.postings.get(&t) {
                Some(list) if !list.is_empty() => {
                    self.idf.insert(t, (1.0 + n / list.len() as f32).ln());
                    list.len()
                }
                _ => {
                    self.postings.remove(&t);
                    self.idf.remove(&t);
                    0
                }
            };
            let common = df > 0 && !Index::tells(df, self.max_df, self.norm.len());
            if common {
                self.common.insert(t);
            } else {
                self.common.remove(&t);
            }
        }
    }

    /// The length penalties again, as [`Index::new`] computes them.
    fn renorm(&mut self, profiles: &[Profile]) {
        let n = profiles.len().max(1) as f32;
        let avg = profiles.iter().map(|p| p.tokens.len()).sum::<usize>() as f32 / n;
        self.norm = profiles
            .iter()
            .map(|p| (p.tokens.len() as f32 / avg.max(1.0)).sqrt().max(0.5))
            .collect();
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
    use super::*;

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
